package dev.tokenkeeper.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A program that reads tokens with a bearer token of its own, scoped to some credentials (see
 * {@link dev.tokenkeeper.api.store.Consumers#insertConsumer}). Only the SHA-256 hash of its token is kept, never the token.
 *
 * <p>The row is authenticated by the daemon with a key the store does not hold ({@code mac}): a
 * store keeps and returns the tag as it got it and never interprets it. A row without a valid tag
 * (one written by someone who can write the store but does not hold the master key) grants nothing.
 *
 * @param name        the name the admin chose: 1 to 64 of {@code a-z A-Z 0-9 . _ -}
 * @param tokenHash   the lowercase hex SHA-256 of the consumer's token (64 characters)
 * @param credentials the credentials it may read, at least one
 * @param createdAt   when it was created; stores keep milliseconds, so the daemon creates it on a
 *                    whole millisecond
 * @param mac         the daemon's authentication tag over the other fields (opaque to the store,
 *                    at most {@value #MOST_MAC_LENGTH} characters), or empty for a row written
 *                    without one
 */
public record Consumer(String name, String tokenHash, List<CredentialId> credentials, Instant createdAt,
                       Optional<String> mac) {

    /** The longest authentication tag a store must be able to keep. */
    public static final int MOST_MAC_LENGTH = 200;

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
        Objects.requireNonNull(mac, "mac");
        checkName(name);
        if (!HASH.matcher(tokenHash).matches()) {
            throw new IllegalArgumentException("a consumer's token hash is 64 lowercase hex digits (SHA-256)");
        }
        credentials = List.copyOf(Objects.requireNonNull(credentials, "credentials"));
        if (credentials.isEmpty()) {
            throw new IllegalArgumentException("consumer " + name + " needs at least one credential");
        }
        mac = checkMac(mac, "consumer " + name);
    }

    /**
     * A consumer without an authentication tag (as a store row written before tags existed).
     *
     * @param name        the consumer's name
     * @param tokenHash   the lowercase hex SHA-256 of its token
     * @param credentials the credentials it may read
     * @param createdAt   when it was created
     */
    public Consumer(String name, String tokenHash, List<CredentialId> credentials, Instant createdAt) {
        this(name, tokenHash, credentials, createdAt, Optional.empty());
    }

    /**
     * @param tag the daemon's authentication tag for this row
     * @return a copy carrying {@code tag}
     */
    public Consumer withMac(String tag) {
        return new Consumer(name, tokenHash, credentials, createdAt, Optional.of(tag));
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
     * The rule for every row the daemon tags (consumers, {@link AccountSecret}s): an empty tag is no
     * tag, and a tag is at most {@value #MOST_MAC_LENGTH} characters.
     *
     * @param mac   a row's tag, if any
     * @param owner the row, for the message
     * @return the tag, empty when none or empty
     * @throws IllegalArgumentException when it is too long
     */
    public static Optional<String> checkMac(Optional<String> mac, String owner) {
        Optional<String> tag = mac.filter(text -> !text.isEmpty());
        if (tag.isPresent() && tag.get().length() > MOST_MAC_LENGTH) {
            throw new IllegalArgumentException(owner + ": its authentication tag is longer than " + MOST_MAC_LENGTH
                    + " characters");
        }
        return tag;
    }

    /**
     * @param id a credential
     * @return true when this consumer may read its token
     */
    public boolean mayRead(CredentialId id) {
        return credentials.contains(id);
    }
}
