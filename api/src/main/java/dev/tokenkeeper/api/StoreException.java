package dev.tokenkeeper.api;

/**
 * A {@link TokenStore} could not do what was asked. The message is one line naming the store, what
 * failed and what to do (for example "sqlite: cannot open /var/lib/tokenkeeper/tokens.db: read-only
 * file system; check the state folder's permissions"); it never contains a secret.
 */
public class StoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message what failed and what to do */
    public StoreException(String message) {
        super(message);
    }

    /**
     * @param message what failed and what to do
     * @param cause   the underlying error
     */
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
