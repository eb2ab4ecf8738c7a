package dev.tokenkeeper.api.store;

import dev.tokenkeeper.api.CredentialStatus;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The credentials summed up by the store in one query: how many there are of each status, and the
 * soonest access-token expiry among the active ones. The daemon's {@code /metrics} gauges read it
 * at scrape time, so a scrape costs one aggregate query, not a read of every row with its sealed
 * secret.
 *
 * <p>Without it the daemon walks every credential a page at a time to count them, which grows with
 * the number of credentials (a scrape of a million rows on PostgreSQL took minutes).
 *
 * <p>Added in SDK 0.2 without changing anything else: a store built against 0.2 before it still
 * loads, and simply does not offer it.
 */
public non-sealed interface Tally extends StoreCapability {

    /**
     * The credentials summed up.
     *
     * @param byStatus      how many credentials have each status; a status with none may be missing
     * @param soonestExpiry the soonest access-token expiry of an {@link CredentialStatus#ACTIVE active}
     *                      credential; empty when no active credential has an expiry
     */
    record Counts(Map<CredentialStatus, Long> byStatus, Optional<Instant> soonestExpiry) {

        /** Checks the values and keeps a copy of the map. */
        public Counts {
            Objects.requireNonNull(soonestExpiry, "soonestExpiry");
            Map<CredentialStatus, Long> copy = new EnumMap<>(CredentialStatus.class);
            copy.putAll(Objects.requireNonNull(byStatus, "byStatus"));
            byStatus = Map.copyOf(copy);
        }

        /**
         * @param status a status
         * @return how many credentials have it, 0 when none
         */
        public long count(CredentialStatus status) {
            return byStatus.getOrDefault(status, 0L);
        }
    }

    /**
     * Counts the credentials by status and finds the soonest access-token expiry of an active one, in
     * one read (one {@code SELECT ... GROUP BY status} on a SQL store): nothing is decrypted, no row
     * is handed out.
     *
     * @return the counts, as of one moment of the store
     * @throws dev.tokenkeeper.api.StoreException when the store cannot be read now
     */
    Counts tally();
}
