package dev.tokenkeeper.api.http;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A value built the first time it is asked for, once, whatever the number of threads asking: what a
 * provider configured at the daemon's start (an HTTP client and its TLS context, a timer thread) pays
 * at its first upstream call instead, off the start-up path; a provider never called never pays.
 *
 * @param <T> the value
 */
public final class OnFirstUse<T> {

    private final Supplier<? extends T> build;
    private volatile T value;

    /** @param build makes the value; called once, by the first {@link #get()}; must not return null */
    public OnFirstUse(Supplier<? extends T> build) {
        this.build = Objects.requireNonNull(build, "build");
    }

    /** @return the value, built by the first call */
    public T get() {
        T built = value;
        if (built == null) {
            synchronized (this) {
                built = value;
                if (built == null) {
                    built = Objects.requireNonNull(build.get(), "the value built on first use");
                    value = built;
                }
            }
        }
        return built;
    }
}
