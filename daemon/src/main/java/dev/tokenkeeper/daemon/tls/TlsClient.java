package dev.tokenkeeper.daemon.tls;

import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.Settings;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Optional;

/**
 * The CLI's side of TLS: with {@code TOKENKEEPER_TLS_CERT_FILE} set it speaks HTTPS and trusts
 * {@code TOKENKEEPER_TLS_CA_FILE}, or else that certificate itself; with only the CA file (a
 * client on another host) it speaks HTTPS trusting that CA.
 */
public final class TlsClient {

    private TlsClient() {
    }

    /**
     * @param settings the CLI's configuration
     * @return the certificates to trust, or empty for plain HTTP
     */
    public static Optional<Path> trusted(Settings settings) {
        Optional<Path> ca = settings.get(TlsSettings.CA_FILE).map(String::trim).filter(s -> !s.isEmpty()).map(Path::of);
        return ca.or(() -> settings.get(TlsSettings.CERT_FILE).map(String::trim).filter(s -> !s.isEmpty()).map(Path::of));
    }

    /**
     * @param builder  a client builder
     * @param trusted  PEM certificates to trust
     * @return the builder, set to trust them only
     */
    public static HttpClient.Builder trusting(HttpClient.Builder builder, Path trusted) {
        try {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(PemFiles.trustStore(trusted));
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return builder.sslContext(context);
        } catch (GeneralSecurityException e) {
            throw new ConfigurationException("TLS: cannot trust " + trusted + ": " + e.getMessage());
        }
    }
}
