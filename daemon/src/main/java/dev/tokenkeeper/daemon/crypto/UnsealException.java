package dev.tokenkeeper.daemon.crypto;

import java.util.Objects;
import java.util.Optional;

/**
 * Sealed bytes could not be opened. The message names the credential, the cause and what to do;
 * it never contains key bytes or secret values.
 */
public final class UnsealException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why the bytes could not be opened. */
    public enum Reason {
        /**
         * The GCM tag did not match: the bytes were changed, were moved to another credential's row,
         * or were sealed with a different key that has the same id (2<sup>-32</sup>, not expected).
         */
        TAMPERED_OR_WRONG_KEY,
        /** The key id in the header is not in the keyring: an old master key must be restored. */
        UNKNOWN_KEY,
        /** Not sealed bytes of a known format: bad magic, version, key id or length. */
        MALFORMED
    }

    private final Reason reason;
    private final String keyId;

    /**
     * @param reason  why
     * @param keyId   the key id read from the header, or {@code null} when none could be read
     * @param message one line: what is wrong and what to do, without secrets
     */
    public UnsealException(Reason reason, String keyId, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.keyId = keyId;
    }

    /** @return why the bytes could not be opened */
    public Reason reason() {
        return reason;
    }

    /** @return the key id read from the sealed header, when the header could be read */
    public Optional<String> keyId() {
        return Optional.ofNullable(keyId);
    }
}
