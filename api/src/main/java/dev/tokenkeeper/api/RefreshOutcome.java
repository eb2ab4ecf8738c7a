package dev.tokenkeeper.api;

import java.util.Locale;

/** What one event in a credential's history was. */
public enum RefreshOutcome {
    /** A user imported or re-imported the credential. */
    IMPORTED,
    /** The upstream issued new tokens and they were committed. */
    REFRESHED,
    /** A refresh failed in a way a retry may fix. */
    TRANSIENT_FAILURE,
    /** The upstream refused the refresh for good; the credential needs a human. */
    PERMANENT_FAILURE,
    /** A validation sweep found the token accepted. */
    VALIDATED,
    /** A validation or a consumer found the token rejected. */
    REJECTED;

    /** @return the lower-case name used in JSON and reports */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
