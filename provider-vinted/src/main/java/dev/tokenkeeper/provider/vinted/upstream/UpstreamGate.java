package dev.tokenkeeper.provider.vinted.upstream;

import dev.tokenkeeper.api.FailureKind;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides whether a request may go to Vinted now: not while a pause is in force, not beyond the
 * request budget. Learns from the answers: an anti-bot wall or a {@code Retry-After} starts a pause.
 */
public final class UpstreamGate {

    private final RequestBudget budget;
    private final UpstreamPause pause;

    /**
     * @param budget the sliding-window request budget
     * @param pause  the provider-wide pause
     */
    public UpstreamGate(RequestBudget budget, UpstreamPause pause) {
        this.budget = Objects.requireNonNull(budget, "budget");
        this.pause = Objects.requireNonNull(pause, "pause");
    }

    /**
     * Reserves {@code requests} slots, all or none.
     *
     * @param requests how many requests the caller is about to send
     * @return empty when they may go; otherwise why not and for how long
     */
    public Optional<Verdict.Temporary> admit(int requests) {
        Optional<UpstreamPause.Held> held = pause.current();
        if (held.isPresent()) {
            UpstreamPause.Held h = held.get();
            String why = h.kind() == FailureKind.BLOCKED ? "it answered with its anti-bot wall (403)"
                    : "it asked us to slow down";
            return Optional.of(new Verdict.Temporary(h.kind(), "not contacting vinted for another "
                    + seconds(h) + " s: " + why + " recently", Optional.of(h.remaining())));
        }
        return budget.tryAcquire(requests).map(wait -> new Verdict.Temporary(FailureKind.RATE_LIMITED,
                "the request budget of " + budget.limit() + " requests per 5 minutes to vinted is used up"
                        + " (VINTED_MAX_REQUESTS_PER_5_MIN keeps the daemon under vinted's anti-bot threshold);"
                        + " next slot in " + Math.max(1, wait.toSeconds()) + " s", Optional.of(wait)));
    }

    /**
     * Returns reserved slots that were not used.
     *
     * @param requests how many
     */
    public void unused(int requests) {
        budget.giveBack(requests);
    }

    /**
     * Starts a pause when a failure asks for one.
     *
     * @param failure what an answer meant
     */
    public void observe(Verdict.Temporary failure) {
        if (failure.kind() == FailureKind.BLOCKED || failure.kind() == FailureKind.RATE_LIMITED) {
            failure.retryAfter().ifPresent(wait -> pause.pauseFor(failure.kind(), wait));
        }
    }

    private static long seconds(UpstreamPause.Held held) {
        return Math.max(1, held.remaining().toSeconds());
    }
}
