package dev.tokenkeeper.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One line of a credential's append-only history, kept for {@code report}.
 *
 * @param id       the credential
 * @param at       when it happened
 * @param outcome  what happened
 * @param detail   one human-readable line without secrets (may be empty)
 * @param duration how long the upstream call took ({@link Duration#ZERO} when there was none)
 * @param version  the credential's version after the event
 */
public record RefreshEvent(CredentialId id, Instant at, RefreshOutcome outcome, String detail,
                           Duration duration, long version) {

    /** Rejects nulls. */
    public RefreshEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(duration, "duration");
    }

    /**
     * The one argument rule of {@link TokenStore#history(CredentialId, Instant, int)}, for stores to
     * apply before they read.
     *
     * @param id    the credential
     * @param since the earliest time to include
     * @param limit the most events to return
     * @throws NullPointerException     when {@code id} or {@code since} is null
     * @throws IllegalArgumentException when {@code limit} is negative
     */
    public static void checkHistoryQuery(CredentialId id, Instant since, int limit) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(since, "since");
        if (limit < 0) {
            throw new IllegalArgumentException("history limit must not be negative: " + limit);
        }
    }
}
