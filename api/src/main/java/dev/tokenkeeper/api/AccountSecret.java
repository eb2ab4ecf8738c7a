package dev.tokenkeeper.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A secret the daemon keeps beside a credential, not in it: for example the link of a CookieCloud
 * browser extension to an account (its uuid, its password and its importer token's hash), or the
 * sign-in details of an account. One row per credential and {@code kind} (see
 * {@link dev.tokenkeeper.api.store.AccountSecrets}).
 *
 * <p>The store cannot read it: the secret is sealed by the daemon with the master key, as a
 * credential's secret is, and the row is authenticated by the daemon with a key the store does not
 * hold ({@code mac}), as consumer rows are; a store keeps and returns both as it got them. A row
 * without a valid tag (written by someone who can write the store but does not hold the master key)
 * grants nothing.
 *
 * @param credential the credential the secret belongs to
 * @param kind       what the secret is, e.g. {@code cookiecloud} or {@code sign-in}: 1 to 32 of
 *                   {@code a-z 0-9 -}
 * @param lookupHash the lowercase hex SHA-256 the daemon finds the row by (for example the hash of
 *                   a token presented with a request), unique per kind; never a secret itself
 * @param sealed     the secret, sealed by the daemon
 * @param createdAt  when it was stored; stores keep milliseconds, so the daemon creates it on a
 *                   whole millisecond
 * @param mac        the daemon's authentication tag over the other fields (opaque to the store, at
 *                   most {@value Consumer#MOST_MAC_LENGTH} characters), or empty for a row without one
 */
public record AccountSecret(CredentialId credential, String kind, String lookupHash, SealedSecret sealed,
                            Instant createdAt, Optional<String> mac) {

    private static final Pattern KIND = Pattern.compile("[a-z0-9-]{1,32}");
    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");

    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException naming the field that is wrong
     */
    public AccountSecret {
        checkKind(kind);
        if (lookupHash == null || !HASH.matcher(lookupHash).matches()) {
            throw new IllegalArgumentException("an account secret's lookup hash is 64 lowercase hex digits (SHA-256)");
        }
        Objects.requireNonNull(sealed, "sealed");
        Objects.requireNonNull(createdAt, "createdAt");
        mac = Consumer.checkMac(Objects.requireNonNull(mac, "mac"), "the " + kind + " secret of "
                + Objects.requireNonNull(credential, "credential"));
    }

    /**
     * @param tag the daemon's authentication tag for this row
     * @return a copy carrying {@code tag}
     */
    public AccountSecret withMac(String tag) {
        return new AccountSecret(credential, kind, lookupHash, sealed, createdAt, Optional.of(tag));
    }

    /**
     * @param kind a proposed kind
     * @return the kind
     * @throws IllegalArgumentException when it is not 1 to 32 of {@code a-z 0-9 -}
     */
    public static String checkKind(String kind) {
        if (kind == null || !KIND.matcher(kind).matches()) {
            throw new IllegalArgumentException("an account secret's kind is 1 to 32 lowercase letters, digits or '-'");
        }
        return kind;
    }

    /** @return the credential and kind only, never the sealed bytes */
    @Override
    public String toString() {
        return "AccountSecret[" + credential + ", " + kind + ", sealed hidden]";
    }
}
