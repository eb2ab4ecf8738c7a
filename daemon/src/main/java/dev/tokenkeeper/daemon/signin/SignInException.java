package dev.tokenkeeper.daemon.signin;

/** A sign-in that could not run (no browser, no answer in time); the message never holds a secret. */
final class SignInException extends RuntimeException {

    /** @param message what went wrong and what to do */
    SignInException(String message) {
        super(message, null, false, false);
    }
}
