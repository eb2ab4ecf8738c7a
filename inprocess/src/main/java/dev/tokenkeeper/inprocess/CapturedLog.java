package dev.tokenkeeper.inprocess;

import org.tinylog.core.LogEntry;
import org.tinylog.core.LogEntryValue;
import org.tinylog.writers.Writer;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

/**
 * The tinylog writer of the daemons a test runs in its JVM: every line is kept (so a test can look
 * for secrets in what the daemon logged) and printed through {@link System#out} (which the test
 * runner captures; the daemon's own writer writes to the native stream). tinylog is configured once
 * per JVM, so the lines of every daemon the JVM ran are in one list; {@link #size()} marks where one
 * daemon's begin.
 */
public final class CapturedLog implements Writer {

    private static final List<String> LINES = new ArrayList<>();
    /**
     * The test runner's {@link System#out} as it was when the first daemon logged: a CLI run in the JVM
     * ({@code InProcessCli}) swaps System.out for its own capture, which must hold what the command
     * printed, not the daemon's lines logged meanwhile.
     */
    private static final PrintStream CONSOLE = System.out;

    /** @param properties tinylog's writer properties (none are read) */
    public CapturedLog(Map<String, String> properties) {
    }

    /** @return how many lines were logged so far */
    static int size() {
        synchronized (LINES) {
            return LINES.size();
        }
    }

    /**
     * @param from a {@link #size()} taken earlier
     * @return the lines logged since
     */
    static List<String> since(int from) {
        synchronized (LINES) {
            return List.copyOf(LINES.subList(Math.min(from, LINES.size()), LINES.size()));
        }
    }

    @Override
    public Collection<LogEntryValue> getRequiredLogEntryValues() {
        return EnumSet.of(LogEntryValue.LEVEL, LogEntryValue.MESSAGE, LogEntryValue.EXCEPTION, LogEntryValue.CLASS);
    }

    @Override
    public void write(LogEntry entry) {
        StringBuilder line = new StringBuilder().append(entry.getLevel()).append(' ').append(entry.getMessage());
        Throwable exception = entry.getException();
        if (exception != null) {
            line.append(" (").append(exception).append(')');
        }
        String text = line.toString();
        synchronized (LINES) {
            LINES.add(text);
        }
        CONSOLE.println(text);
    }

    @Override
    public void flush() {
        CONSOLE.flush();
    }

    @Override
    public void close() {
    }
}
