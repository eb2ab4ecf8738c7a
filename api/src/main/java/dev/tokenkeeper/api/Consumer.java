package dev.tokenkeeper.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A program that reads tokens with a bearer token of its own, scoped to some credentials (see
 * {@link TokenStore#insertConsumer}). Only the SHA-256 hash of its token is kept, never the token.
 *
 * @param name        the name the admin chose: 1 to 64 of {@code a-z A-Z 0-9 . _ -}
 * @param tokenHash   the lowercase hex SHA-256 of the consumer's token (64 characters)
 * @param credentials the credentials it may read, at least one
 * @param createdAt   when it was created
 */
public record Consumer(String name, String tokenHash, List<CredentialId> credentials, Instant createdAt) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");

    /**
     * Checks the fields and copies the list.
     *
     * @throws IllegalArgumentException naming the field that is wrong
     */
    public Consumer {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(tokenHash, "tokenHash");
        Objects.requireNonNull(createdAt, "createdAt");
        checkName(name);
        if (!HASH.matcher(tokenHash).matches()) {
            throw new IllegalArgumentException("a consumer's token hash is 64 lowercase hex digits (SHA-256)");
        }
        credentials = List.copyOf(Objects.requireNonNull(credentials, "credentials"));
        if (credentials.isEmpty()) {
            throw new IllegalArgumentException("consumer " + name + " needs at least one credential");
        }
    }

    /**
     * @param name a proposed consumer name
     * @return the name
     * @throws IllegalArgumentException when it is not 1 to 64 of {@code a-z A-Z 0-9 . _ -}
     */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a consumer name is 1 to 64 letters, digits, '.', '_' or '-'");
        }
        return name;
    }

    /**
     * @param id a credential
     * @return true when this consumer may read its token
     */
    public boolean mayRead(CredentialId id) {
        return credentials.contains(id);
    }
}
