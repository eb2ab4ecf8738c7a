package dev.tokenkeeper.api;

import java.util.Arrays;
import java.util.Locale;

/** Where a credential stands. The {@link #wireName() wire names} are part of the external contract. */
public enum CredentialStatus {
    /** The daemon holds a usable token and keeps it fresh. */
    ACTIVE,
    /** Every token the daemon holds is past its expiry; a refresh may still revive it. */
    EXPIRED,
    /** Something is wrong that a retry may or may not fix (a secret that cannot be decrypted, a store error). */
    ERROR,
    /** The upstream rejected the refresh token: a human must import or authorize again. */
    REQUIRES_CONFIGURATION;

    /** @return the lower-case name used in JSON, the CLI and the stores, e.g. {@code requires_configuration} */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Reads a wire name.
     *
     * @param name a name as returned by {@link #wireName()}
     * @return the status
     * @throws IllegalArgumentException when the name is not one of the four statuses
     */
    public static CredentialStatus fromWireName(String name) {
        return Arrays.stream(values())
                .filter(status -> status.wireName().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown credential status '" + name
                        + "': expected one of active, expired, error, requires_configuration"));
    }
}
