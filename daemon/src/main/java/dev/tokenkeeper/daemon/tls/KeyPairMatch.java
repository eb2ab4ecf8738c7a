package dev.tokenkeeper.daemon.tls;

import dev.tokenkeeper.daemon.config.ConfigurationException;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;

/**
 * Whether a private key belongs to a certificate: a signature made with the key must verify with the
 * certificate's public key. A key store built from a pair that does not match loads without a word,
 * and then every TLS handshake fails.
 */
final class KeyPairMatch {

    private static final SecureRandom RANDOM = new SecureRandom();

    private KeyPairMatch() {
    }

    /**
     * @param leaf     the certificate served (the first of the chain)
     * @param key      the private key
     * @param certFile where the certificate came from
     * @param keyFile  where the key came from
     * @throws ConfigurationException naming both files when the key is not the certificate's
     */
    static void check(Certificate leaf, PrivateKey key, Path certFile, Path keyFile) {
        PublicKey expected = leaf.getPublicKey();
        String algorithm = signatureAlgorithm(key);
        boolean matches;
        try {
            byte[] challenge = new byte[32];
            RANDOM.nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(expected);
            verifier.update(challenge);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            // A key of another algorithm than the certificate's (initVerify refuses it) is no match either.
            matches = false;
        }
        if (!matches) {
            throw new ConfigurationException("TLS: the private key in " + keyFile + " does not belong to the certificate"
                    + " in " + certFile + " (the first certificate of the chain must be the one of that key): give the"
                    + " key and certificate issued together, leaf first");
        }
    }

    private static String signatureAlgorithm(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> "EdDSA";
            default -> throw new ConfigurationException("TLS: the private key is of algorithm " + key.getAlgorithm()
                    + ", which cannot be checked against the certificate: use an RSA, EC or Ed25519 key");
        };
    }
}
