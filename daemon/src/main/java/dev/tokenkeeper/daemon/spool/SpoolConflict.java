package dev.tokenkeeper.daemon.spool;

import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.StoredCredential;

/**
 * Which version survives when a spooled change meets a row that changed in the store meanwhile.
 * A successfully issued secret is never thrown away for a change of status: the side carrying the
 * newer issued secret wins, so a {@code requires_configuration} written by a daemon whose refresh
 * token had been spent by another cannot bury the token pair that other daemon obtained.
 */
final class SpoolConflict {

    private SpoolConflict() {
    }

    /**
     * @param spooled         the spooled change
     * @param expectedVersion the version the spooled change replaced
     * @param inStore         the row in the store now
     * @return true when the spooled change wins
     */
    static boolean spooledWins(StoredCredential spooled, long expectedVersion, StoredCredential inStore) {
        if (inStore.version() == expectedVersion) {
            return true; // Nobody else wrote: no conflict.
        }
        if (spooled.secret().equals(inStore.secret())) {
            // The same secret on both sides: only status differs; the store's (written later) stands.
            return false;
        }
        int issued = spooled.issuedAt().compareTo(inStore.issuedAt());
        if (issued != 0) {
            return issued > 0;
        }
        // Two secrets issued within the same second (upstreams give seconds): a usable one beats a
        // refused one, then the later refresh wins.
        boolean spooledUsable = spooled.status() != CredentialStatus.REQUIRES_CONFIGURATION;
        boolean storeUsable = inStore.status() != CredentialStatus.REQUIRES_CONFIGURATION;
        if (spooledUsable != storeUsable) {
            return spooledUsable;
        }
        return spooled.lastRefreshAt().orElse(spooled.issuedAt())
                .isAfter(inStore.lastRefreshAt().orElse(inStore.issuedAt()));
    }
}
