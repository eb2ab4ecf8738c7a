package dev.tokenkeeper.daemon.console;

import dev.tokenkeeper.api.StoredCredential;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/**
 * The list of credentials the overview shows, read from the store at most once per {@link #MAX_AGE}
 * (the overview's table is rendered once per read, and a person cannot tell one second). Every form the
 * console submits drops it, so a page after an import, refresh or delete always shows the change.
 */
final class CredentialSnapshot {

    static final Duration MAX_AGE = Duration.ofSeconds(1);

    private record Taken(List<StoredCredential> credentials, Instant at) {
    }

    private final Supplier<List<StoredCredential>> store;
    private final Clock clock;
    private volatile Taken taken;

    CredentialSnapshot(Supplier<List<StoredCredential>> store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** @return the credentials; the same list object until the next read of the store */
    List<StoredCredential> get() {
        Instant now = clock.instant();
        Taken current = taken;
        if (current == null || now.isBefore(current.at()) || !now.isBefore(current.at().plus(MAX_AGE))) {
            current = new Taken(List.copyOf(store.get()), now);
            taken = current;
        }
        return current.credentials();
    }

    void invalidate() {
        taken = null;
    }
}
