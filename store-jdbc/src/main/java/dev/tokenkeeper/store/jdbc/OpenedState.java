package dev.tokenkeeper.store.jdbc;

import dev.tokenkeeper.api.StoreException;

import java.util.Optional;
import java.util.function.Function;

/**
 * What a store holds between {@code open} and {@code close} (its connections, settings, tables),
 * and the errors for a call outside that time. Thread-safe.
 *
 * @param <O> what the store holds while open
 */
public final class OpenedState<O> {

    private final String store;
    private volatile O opened;
    private volatile boolean closed;

    /** @param store the store's id, for messages */
    public OpenedState(String store) {
        this.store = store;
    }

    /** @throws IllegalStateException when the store was opened or closed before */
    public synchronized void checkNew() {
        if (opened != null || closed) {
            throw new IllegalStateException(store + " store: open() may be called only once");
        }
    }

    /** @param state what the store now holds */
    public synchronized void opened(O state) {
        checkNew();
        opened = state;
    }

    /**
     * @return what the store holds
     * @throws StoreException        after {@link #close()}
     * @throws IllegalStateException before {@link #opened}
     */
    public O get() {
        O current = opened;
        if (current == null) {
            if (closed) {
                throw new StoreException(store + ": the store is closed: this is a bug in tokenkeeper's shutdown order");
            }
            throw new IllegalStateException(store + " store used before open()");
        }
        return current;
    }

    /** @return what the store held, to release; empty when it was not open (or closed already) */
    public synchronized Optional<O> close() {
        closed = true;
        O was = opened;
        opened = null;
        return Optional.ofNullable(was);
    }

    /**
     * @param describe names what the store holds, without secrets
     * @return that name, or whether the store is closed or not open yet, for {@code toString}
     */
    public String describe(Function<O, String> describe) {
        O current = opened;
        return current == null ? (closed ? "closed" : "not open") : describe.apply(current);
    }
}
