package dev.tokenkeeper.daemon.assembly;

import org.tinylog.Logger;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Starts parts in order and owns the ones that started: closing first quiets them down (one step
 * for all), then stops them in reverse order, also after a start that failed half-way.
 */
final class StartedParts implements AutoCloseable {

    private final Deque<Part> started = new ArrayDeque<>();
    private final Runnable quiesce;

    /** @param quiesce run before the parts close, so none closes under work still running */
    StartedParts(Runnable quiesce) {
        this.quiesce = quiesce;
    }

    /**
     * @param parts the parts, in start order
     * @param seam  wraps each part before it starts (the identity but in tests)
     * @throws RuntimeException the first part's failure (its cause kept), with every close failure suppressed on it;
     *                          the parts started before it are closed
     */
    synchronized void start(List<Part> parts, UnaryOperator<Part> seam) {
        for (Part part : parts) {
            Part wrapped = seam.apply(part);
            try {
                wrapped.start().run();
            } catch (Exception e) {
                RuntimeException failure = e instanceof RuntimeException runtime ? runtime
                        : new IllegalStateException(part.name() + " could not start: " + e.getMessage(), e);
                closeInto(failure);
                throw failure;
            }
            started.push(wrapped);
        }
    }

    /** @return the names of the parts started, in start order */
    synchronized List<String> names() {
        List<String> names = new ArrayList<>();
        started.descendingIterator().forEachRemaining(part -> names.add(part.name()));
        return names;
    }

    @Override
    public synchronized void close() {
        RuntimeException failure = new IllegalStateException("some parts did not close cleanly");
        closeInto(failure);
        if (failure.getSuppressed().length > 0) {
            throw failure;
        }
    }

    private void closeInto(RuntimeException failure) {
        try {
            quiesce.run();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
        while (!started.isEmpty()) {
            Part part = started.pop();
            try {
                part.stop().close();
            } catch (Exception e) {
                Logger.warn("{} did not close cleanly: {}", part.name(), e.toString());
                failure.addSuppressed(e);
            }
        }
    }
}
