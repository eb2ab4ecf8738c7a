package dev.tokenkeeper.api;

/**
 * A user-supplied secret cannot be used: malformed, incomplete, or of a form the provider does not
 * take. The message is one line that names what is wrong and what to do, and never contains the
 * secret itself.
 */
public class InvalidSecretException extends Exception {

    private static final long serialVersionUID = 1L;

    /** @param message what is wrong and what to do; no secret values */
    public InvalidSecretException(String message) {
        super(message);
    }
}
