package dev.tokenkeeper.daemon.tls;

import dev.tokenkeeper.daemon.config.ConfigurationException;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;

/**
 * Reads PEM files as certbot and CAs write them: a certificate chain (leaf first) and a private
 * key in PKCS#8, PKCS#1 (RSA) or SEC1 (EC) form, parsed by BouncyCastle.
 */
public final class PemFiles {

    /** The password of the in-memory key store; it never leaves this process. */
    static final char[] STORE_PASSWORD = "tokenkeeper".toCharArray();

    private PemFiles() {
    }

    /**
     * @param certFile the certificate chain, leaf first
     * @param keyFile  the leaf's private key
     * @return a key store holding them under the alias {@code tokenkeeper}
     * @throws ConfigurationException naming the file that cannot be read and why, a key file that its
     *                                group or others may read or that another user owns, or a key that is
     *                                not the certificate's
     */
    public static KeyStore keyStore(Path certFile, Path keyFile) {
        Certificate[] chain = certificates(certFile).toArray(Certificate[]::new);
        KeyFileAccess.check(keyFile);
        PrivateKey key = privateKey(keyFile);
        KeyPairMatch.check(chain[0], key, certFile, keyFile);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("tokenkeeper", key, STORE_PASSWORD, chain);
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new ConfigurationException("TLS: the key in " + keyFile + " does not fit the certificate in " + certFile
                    + " (" + e.getMessage() + "): give the key of that certificate");
        }
    }

    /**
     * @param file PEM certificates
     * @return a trust store holding them (for the CLI)
     */
    public static KeyStore trustStore(Path file) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int i = 0;
            for (Certificate certificate : certificates(file)) {
                store.setCertificateEntry("trusted-" + i++, certificate);
            }
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new ConfigurationException("TLS: cannot trust the certificates in " + file + ": " + e.getMessage());
        }
    }

    static Collection<? extends Certificate> certificates(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends Certificate> found = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (found.isEmpty()) {
                throw new ConfigurationException("TLS: " + file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
            }
            return found;
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigurationException("TLS: cannot read the certificate file " + file + " (" + e.getMessage()
                    + "): give a PEM certificate chain, leaf first");
        }
    }

    static PrivateKey privateKey(Path file) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(reader)) {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            Object object;
            while ((object = parser.readObject()) != null) {
                if (object instanceof PEMKeyPair pair) {
                    return converter.getKeyPair(pair).getPrivate();
                }
                if (object instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
            }
            throw new ConfigurationException("TLS: " + file + " holds no unencrypted PEM private key: give the key"
                    + " without a passphrase (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
        } catch (IOException e) {
            throw new ConfigurationException("TLS: cannot read the key file " + file + ": " + e.getMessage());
        }
    }
}
