package dev.tokenkeeper.api;

import java.util.Objects;
import java.util.function.IntPredicate;

/**
 * Names one credential: {@code <provider>:<account>}, for example {@code gazelle:default} or
 * {@code vinted:admin}.
 *
 * <p>Both parts are restricted to a small character set so that an id is always safe in a URL
 * path, a file name, a log line and a metric label: the provider is lower-case letters, digits
 * and {@code -} (at most 32 characters); the account is letters, digits and {@code . _ @ -}
 * (at most 128 characters), starting with a letter or digit.
 *
 * @param provider the {@link TokenProvider#id() provider id}
 * @param account  the account name within that provider
 */
public record CredentialId(String provider, String account) {

    /** The account used when none is given. */
    public static final String DEFAULT_ACCOUNT = "default";

    /**
     * Checks both parts.
     *
     * @throws IllegalArgumentException naming the part that is not allowed and what is
     */
    public CredentialId {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(account, "account");
        if (!validProvider(provider)) {
            throw new IllegalArgumentException("invalid provider id '" + printable(provider)
                    + "': use lower-case letters, digits and '-', at most 32 characters");
        }
        if (!validAccount(account)) {
            throw new IllegalArgumentException("invalid account name '" + printable(account)
                    + "': use letters, digits and . _ @ -, at most 128 characters, starting with a letter or digit");
        }
    }

    /**
     * Parses {@code provider:account}.
     *
     * @param text the id as written by a user or found in a URL
     * @return the id
     * @throws IllegalArgumentException when the text is not a valid id
     */
    public static CredentialId parse(String text) {
        Objects.requireNonNull(text, "id");
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("invalid credential id '" + printable(text)
                    + "': expected <provider>:<account>, for example gazelle:default");
        }
        return new CredentialId(text.substring(0, colon), text.substring(colon + 1));
    }

    /**
     * The id of the default account of a provider.
     *
     * @param provider the provider id
     * @return {@code provider:default}
     */
    public static CredentialId defaultFor(String provider) {
        return new CredentialId(provider, DEFAULT_ACCOUNT);
    }

    /** @return {@code provider:account} */
    @Override
    public String toString() {
        return provider + ':' + account;
    }

    // Written out: ids are built and hashed for every claimed row and every change another daemon announces,
    // and with the JIT's first tier only (the launcher's default) the generated record methods and a regex
    // match cost several times as much.

    @Override
    public boolean equals(Object other) {
        return other instanceof CredentialId that && provider.equals(that.provider) && account.equals(that.account);
    }

    @Override
    public int hashCode() {
        return 31 * provider.hashCode() + account.hashCode();
    }

    /** {@code [a-z][a-z0-9-]{0,31}} */
    private static boolean validProvider(String text) {
        return matches(text, 32, CredentialId::lower, c -> lower(c) || digit(c) || c == '-');
    }

    /** {@code [A-Za-z0-9][A-Za-z0-9._@-]{0,127}} */
    private static boolean validAccount(String text) {
        return matches(text, 128, CredentialId::alphanumeric, c -> alphanumeric(c) || c == '.' || c == '_' || c == '@' || c == '-');
    }

    private static boolean matches(String text, int most, IntPredicate first, IntPredicate rest) {
        int length = text.length();
        if (length == 0 || length > most || !first.test(text.charAt(0))) {
            return false;
        }
        for (int i = 1; i < length; i++) {
            if (!rest.test(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean lower(int c) {
        return c >= 'a' && c <= 'z';
    }

    private static boolean digit(int c) {
        return c >= '0' && c <= '9';
    }

    private static boolean alphanumeric(int c) {
        return lower(c) || digit(c) || c >= 'A' && c <= 'Z';
    }

    /** Shortens and strips control characters so a hostile id cannot forge log lines. */
    private static String printable(String text) {
        String cut = text.length() > 64 ? text.substring(0, 64) + "..." : text;
        StringBuilder out = new StringBuilder(cut.length());
        for (char c : cut.toCharArray()) {
            out.append(Character.isISOControl(c) ? '?' : c);
        }
        return out.toString();
    }
}
