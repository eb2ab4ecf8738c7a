package dev.tokenkeeper.provider.gazelle.http;

/**
 * No usable answer came back: the connection failed, was reset or dropped, or the upstream did not
 * answer in time. The message is one line, names the host and what happened, and holds no secret.
 */
public class UpstreamUnreachableException extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message what happened, without secrets */
    public UpstreamUnreachableException(String message) {
        super(message);
    }
}
