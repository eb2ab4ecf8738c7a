package dev.tokenkeeper.api;

/**
 * The store cannot be reached right now (network, server down, database locked for too long). The
 * daemon keeps serving what it holds and retries; nothing was written.
 */
public class StoreUnavailableException extends StoreException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed and what to do
     * @param cause   the underlying error
     */
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
