package dev.tokenkeeper.daemon.cookiecloud;

/** A CookieCloud upload that cannot be opened; the message names the step, never the data. */
public final class UndecryptableUploadException extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message what failed, without any byte of the upload or the key */
    public UndecryptableUploadException(String message) {
        super(message);
    }
}
