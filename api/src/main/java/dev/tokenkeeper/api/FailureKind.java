package dev.tokenkeeper.api;

import java.util.Locale;

/** Why an upstream call failed in a way that a later retry may fix. */
public enum FailureKind {
    /** No answer: connection refused or reset, DNS failure, timeout. */
    NETWORK,
    /** The upstream answered 5xx. */
    SERVER_ERROR,
    /** The upstream answered 429 or otherwise asked us to slow down. */
    RATE_LIMITED,
    /** An anti-bot wall (DataDome, Cloudflare, 403 access denied): not expiry; back off for long. */
    BLOCKED,
    /** The upstream answered something we could not read (malformed body, missing token). */
    BAD_RESPONSE;

    /** @return the lower-case name used in logs, metrics and JSON */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
