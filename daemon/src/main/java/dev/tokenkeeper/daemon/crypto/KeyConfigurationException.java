package dev.tokenkeeper.daemon.crypto;

/**
 * The master key could not be loaded or created. The message is one line saying what is wrong and
 * how to fix it; it names files and settings, never key bytes or a passphrase.
 */
public final class KeyConfigurationException extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message one line: what is wrong and how to fix it */
    public KeyConfigurationException(String message) {
        super(message);
    }

    /**
     * @param message one line: what is wrong and how to fix it
     * @param cause   an I/O failure (never one whose message could quote secret input)
     */
    public KeyConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
