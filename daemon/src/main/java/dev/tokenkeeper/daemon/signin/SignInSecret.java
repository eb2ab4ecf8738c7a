package dev.tokenkeeper.daemon.signin;

import java.util.Objects;

/**
 * The username and password a person signs in to a site with.
 *
 * @param username the username or e-mail address
 * @param password the password
 */
public record SignInSecret(String username, String password) {

    /** Rejects blank values. */
    public SignInSecret {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
        if (username.isBlank() || password.isBlank()) {
            throw new IllegalArgumentException("a sign-in needs both a username and a password");
        }
    }

    /** @return never the values */
    @Override
    public String toString() {
        return "SignInSecret[hidden]";
    }
}
