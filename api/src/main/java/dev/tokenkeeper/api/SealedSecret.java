package dev.tokenkeeper.api;

import java.util.Arrays;
import java.util.Base64;

/**
 * Secret material as the daemon encrypted it (AES-256-GCM with a key id header). Stores keep and
 * return these bytes unchanged; they cannot read them.
 */
public final class SealedSecret {

    private final byte[] bytes;

    private SealedSecret(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * @param bytes the sealed bytes; copied
     * @return the sealed secret
     */
    public static SealedSecret of(byte[] bytes) {
        return new SealedSecret(bytes.clone());
    }

    /**
     * @param base64 the sealed bytes in standard Base64, as text-only stores keep them
     * @return the sealed secret
     * @throws IllegalArgumentException when the text is not Base64
     */
    public static SealedSecret fromBase64(String base64) {
        return new SealedSecret(Base64.getDecoder().decode(base64));
    }

    /** @return a copy of the sealed bytes */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** @return the sealed bytes in standard Base64 */
    public String toBase64() {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** @return the length of the sealed bytes */
    public int length() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SealedSecret that && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** @return the length only */
    @Override
    public String toString() {
        return "SealedSecret[" + bytes.length + " bytes]";
    }
}
