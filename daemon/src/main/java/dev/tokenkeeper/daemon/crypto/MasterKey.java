package dev.tokenkeeper.daemon.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A 32-byte AES-256 key and its id.
 *
 * <p>The id is the first 8 hex characters of the SHA-256 of the key bytes: it names the key in
 * sealed headers, messages and file names without revealing it. {@link #toString()} shows the id
 * only; the bytes are reachable only from this package.
 */
public final class MasterKey {

    /** The key length in bytes (AES-256). */
    public static final int LENGTH = 32;

    private final byte[] key;
    private final String id;

    private MasterKey(byte[] key) {
        this.key = key;
        this.id = idOf(key);
    }

    /**
     * @param key32 the key bytes; copied (the caller may zero its array afterwards)
     * @return the key
     * @throws IllegalArgumentException when the array is not exactly 32 bytes long (the message
     *                                  gives the length only)
     */
    public static MasterKey of(byte[] key32) {
        Objects.requireNonNull(key32, "key");
        if (key32.length != LENGTH) {
            throw new IllegalArgumentException(
                    "a master key must be exactly " + LENGTH + " bytes, got " + key32.length);
        }
        return new MasterKey(key32.clone());
    }

    /**
     * @param random where the key bytes come from
     * @return a new random key
     */
    public static MasterKey generate(SecureRandom random) {
        byte[] bytes = new byte[LENGTH];
        random.nextBytes(bytes);
        return new MasterKey(bytes);
    }

    /** @return the key id: 8 lower-case hex characters, not secret */
    public String id() {
        return id;
    }

    /** @return a copy of the key bytes; the caller zeroes it after use */
    byte[] bytes() {
        return key.clone();
    }

    /** Compares the key bytes in constant time. */
    @Override
    public boolean equals(Object other) {
        return other instanceof MasterKey that && MessageDigest.isEqual(key, that.key);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    /** @return the id only, never the bytes */
    @Override
    public String toString() {
        return "MasterKey[id=" + id + "]";
    }

    private static String idOf(byte[] key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
            String hex = HexFormat.of().formatHex(digest, 0, 4);
            Arrays.fill(digest, (byte) 0);
            return hex;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
