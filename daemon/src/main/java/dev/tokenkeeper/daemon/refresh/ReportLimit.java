package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.daemon.config.Settings;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds the upstream calls that consumers' reports of a rejected token cause, per credential: a report
 * refreshes on the consumer's word at most once per interval ({@value #SETTING}, 60 s); within that
 * interval one more report gets one cheap validation of the token, and refreshes only when the
 * upstream confirms it rejects the token; the others get no upstream call at all.
 * A consumer that loops on {@code POST .../rejected} (a bug, or on purpose) otherwise spends the
 * upstream's rate budget and its patience with one refresh a second.
 */
public final class ReportLimit {

    /** The setting of the interval, in seconds. */
    public static final String SETTING = "TOKENKEEPER_REPORT_REFRESH_INTERVAL_SECONDS";

    private final Clock clock;
    private final Duration interval;
    private final Map<CredentialId, Spent> spent = new ConcurrentHashMap<>();

    /**
     * @param clock    the time
     * @param interval at most one refresh and one validation per credential on consumers' reports within it
     */
    public ReportLimit(Clock clock, Duration interval) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("the report interval must be positive, not " + interval);
        }
        this.clock = clock;
        this.interval = interval;
    }

    /**
     * @param settings the daemon's settings
     * @param clock    the time
     * @return the limit {@value #SETTING} asks for (60 s unless set)
     */
    public static ReportLimit from(Settings settings, Clock clock) {
        return new ReportLimit(clock, Duration.ofMillis(Math.round(settings.number(SETTING, null, 60, 1, 86_400) * 1000)));
    }

    /** @return the interval */
    public Duration interval() {
        return interval;
    }

    /** What a report of the current token may cost upstream now. */
    public sealed interface Turn {

        /** Refresh on the consumer's word: the first report in the interval. */
        record Refresh() implements Turn {
        }

        /**
         * Ask the upstream whether it rejects the token; refresh only if it does.
         *
         * @param retryAfter when a report may refresh on a consumer's word again
         */
        record Check(Duration retryAfter) implements Turn {
        }

        /**
         * No upstream call: the limit is reached.
         *
         * @param retryAfter when a report may refresh again
         */
        record Wait(Duration retryAfter) implements Turn {
        }
    }

    /**
     * Takes the turn a report of {@code id}'s current token gets; concurrent reports get one turn each.
     *
     * @param id the credential
     * @return a refresh, a validation, or a wait
     */
    public Turn take(CredentialId id) {
        Turn[] turn = new Turn[1];
        spent.compute(id, (key, before) -> {
            Instant now = clock.instant();
            if (before == null || before.refreshedBefore(now.minus(interval))) {
                turn[0] = new Turn.Refresh();
                return new Spent(now, null);
            }
            if (before.checked() == null) {
                turn[0] = new Turn.Check(Duration.between(now, before.refreshed().plus(interval)));
                return new Spent(before.refreshed(), now);
            }
            turn[0] = new Turn.Wait(Duration.between(now, before.refreshed().plus(interval)));
            return before;
        });
        return turn[0];
    }

    /** @param id a deleted credential */
    public void forget(CredentialId id) {
        spent.remove(id);
    }

    private record Spent(Instant refreshed, Instant checked) {
        boolean refreshedBefore(Instant limit) {
            return !refreshed.isAfter(limit);
        }
    }
}
