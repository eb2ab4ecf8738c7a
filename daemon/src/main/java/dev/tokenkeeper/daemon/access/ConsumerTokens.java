package dev.tokenkeeper.daemon.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** Consumer bearer tokens: 256 random bits, and the SHA-256 the store keeps instead of them. */
public final class ConsumerTokens {

    /** Every consumer token starts with this, so that a leaked one is recognisable (secret scanners). */
    public static final String PREFIX = "tkc_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private ConsumerTokens() {
    }

    /** @return a new random token */
    public static String generate() {
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    /**
     * @param token a presented or generated token
     * @return its lowercase hex SHA-256
     */
    public static String hash(String token) {
        return HexFormat.of().formatHex(digest(token));
    }

    static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
