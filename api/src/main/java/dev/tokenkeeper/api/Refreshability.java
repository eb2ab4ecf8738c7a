package dev.tokenkeeper.api;

/**
 * Whether the daemon can keep a secret fresh by {@link TokenProvider#refresh}, as its provider says
 * through {@link TokenProvider#refreshability}. Most secrets refresh; some cannot, for example an
 * access token a user copied from a browser without its refresh token.
 */
public sealed interface Refreshability {

    /** What every secret is unless its provider says otherwise. */
    Refreshability REFRESHES = new Refreshes();

    /** For a secret that has no way to refresh. */
    Refreshability UNTIL_EXPIRY = new UntilExpiry();

    /** The secret refreshes: the daemon refreshes it before it expires, and at least every keep-alive. */
    record Refreshes() implements Refreshability {
    }

    /**
     * The secret has no way to refresh: the daemon never calls {@link TokenProvider#refresh} for it,
     * serves it (validated as usual) until its access token expires, warns ahead of the end as for a
     * refresh token with a fixed end, and marks it expired then. A later import that brings a way to
     * refresh makes it a refreshing credential again.
     */
    record UntilExpiry() implements Refreshability {
    }
}
