package dev.tokenkeeper.daemon.refresh;

/**
 * A consumer's wait for a refresh ran out while the refresh goes on in the background (the control
 * API answers 503); the message says which step is slow.
 */
public final class RefreshPendingException extends NoValidTokenException {

    private static final long serialVersionUID = 1L;

    /** @param message which refresh, how long it has run, what it waits for */
    public RefreshPendingException(String message) {
        super(message, false);
    }
}
