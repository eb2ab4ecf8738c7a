package dev.tokenkeeper.daemon.tls;

import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.Settings;

import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code TOKENKEEPER_TLS_CERT_FILE} and {@code TOKENKEEPER_TLS_KEY_FILE} (both or neither), and for
 * the CLI {@code TOKENKEEPER_TLS_CA_FILE}.
 *
 * @param certFile the PEM certificate chain
 * @param keyFile  the PEM private key
 */
public record TlsSettings(Path certFile, Path keyFile) {

    /** Setting: the certificate chain. */
    public static final String CERT_FILE = "TOKENKEEPER_TLS_CERT_FILE";
    /** Setting: the private key. */
    public static final String KEY_FILE = "TOKENKEEPER_TLS_KEY_FILE";
    /** Setting (CLI): the CA to trust instead of the certificate itself. */
    public static final String CA_FILE = "TOKENKEEPER_TLS_CA_FILE";

    /**
     * @param settings the configuration
     * @return the files, or empty when TLS is off
     * @throws ConfigurationException when only one of the two is set
     */
    public static Optional<TlsSettings> from(Settings settings) {
        Optional<String> cert = settings.get(CERT_FILE).map(String::trim).filter(s -> !s.isEmpty());
        Optional<String> key = settings.get(KEY_FILE).map(String::trim).filter(s -> !s.isEmpty());
        if (cert.isPresent() != key.isPresent()) {
            throw new ConfigurationException("TLS needs both " + CERT_FILE + " and " + KEY_FILE + " (PEM files): "
                    + (cert.isPresent() ? KEY_FILE : CERT_FILE) + " is not set");
        }
        return cert.map(c -> new TlsSettings(Path.of(c), Path.of(key.get())));
    }
}
