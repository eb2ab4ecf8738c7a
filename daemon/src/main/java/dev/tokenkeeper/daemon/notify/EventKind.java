package dev.tokenkeeper.daemon.notify;

import java.util.Locale;

/** Why a human is told something: one per change of a credential's situation. */
public enum EventKind {
    /** A human must re-import or re-authorize. */
    REQUIRES_CONFIGURATION,
    /** The access token ran out and refreshing keeps failing. */
    EXPIRED,
    /** Refreshes have failed for longer than a threshold; the token is still valid. */
    FAILING,
    /** The refresh-token chain ends soon and refreshing cannot renew it. */
    EXPIRING,
    /** Back to active after one of the above. */
    RECOVERED,
    /** Sent by {@code tokenkeeper notify test}. */
    TEST;

    /** @return the name in payloads, e.g. {@code requires_configuration} */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param wire a wire name
     * @return the kind
     */
    public static EventKind fromWire(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }

    /** @return true for the kinds a later {@link #RECOVERED} ends */
    public boolean isProblem() {
        return this == REQUIRES_CONFIGURATION || this == EXPIRED || this == FAILING || this == EXPIRING;
    }
}
