package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.RefreshResult;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A refresh held inside its upstream call, so that a test can act while the refresh is in flight:
 * queued as the {@link ScriptedProvider}'s next refresh answer, it lets the test wait until the call
 * has started ({@link #awaitInside()}) and answers only once the test lets it ({@link #answer()}).
 * A call the test never lets answer gives up after ten seconds.
 */
public final class HeldUpstreamCall {

    private final CountDownLatch inside = new CountDownLatch(1);
    private final CountDownLatch answer = new CountDownLatch(1);
    private volatile Thread caller;

    private HeldUpstreamCall() {
    }

    /**
     * @param provider the provider whose next refresh is held
     * @param result   what the call answers once let go (asked for then, on the caller's thread)
     * @return the held call, queued
     */
    public static HeldUpstreamCall next(ScriptedProvider provider, Supplier<RefreshResult> result) {
        HeldUpstreamCall held = new HeldUpstreamCall();
        provider.refreshAnswers.add(() -> {
            held.caller = Thread.currentThread();
            held.inside.countDown();
            held.awaitAnswer();
            return result.get();
        });
        return held;
    }

    /**
     * Waits (ten seconds at most) until the refresh is inside the upstream call.
     *
     * @throws InterruptedException when interrupted while waiting
     */
    public void awaitInside() throws InterruptedException {
        assertTrue(inside.await(10, TimeUnit.SECONDS), "the refresh reached the upstream call");
    }

    /** Lets the upstream answer. */
    public void answer() {
        answer.countDown();
    }

    /** @return the thread the upstream call runs on, once it started */
    public Thread caller() {
        return caller;
    }

    private void awaitAnswer() {
        try {
            if (!answer.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never let the upstream answer");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
