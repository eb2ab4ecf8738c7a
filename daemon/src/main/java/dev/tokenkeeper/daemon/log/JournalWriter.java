package dev.tokenkeeper.daemon.log;

import org.tinylog.Level;
import org.tinylog.core.LogEntry;
import org.tinylog.core.LogEntryValue;
import org.tinylog.writers.Writer;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Map;

/**
 * A tinylog writer for stdout with exactly one line per event. Under systemd ({@code JOURNAL_STREAM}
 * set) each line starts with its syslog priority ({@code <3>} error, {@code <4>} warning,
 * {@code <6>} info, {@code <7>} debug) and carries no timestamp, since journald adds one; otherwise
 * lines start with an ISO-8601 timestamp and the level. Newlines inside a message are escaped so
 * that nothing can forge a second log line. Exceptions are reduced to their class and message.
 */
public final class JournalWriter implements Writer {

    private final boolean journal;
    private final OutputStream out;

    /** Used by {@link java.util.ServiceLoader}. */
    public JournalWriter() {
        this(Map.of());
    }

    /** @param properties tinylog's writer properties ({@code journal=true|false} overrides detection) */
    public JournalWriter(Map<String, String> properties) {
        String forced = properties.get("journal");
        this.journal = forced != null ? Boolean.parseBoolean(forced) : System.getenv("JOURNAL_STREAM") != null;
        this.out = new FileOutputStream(FileDescriptor.out);
    }

    @Override
    public Collection<LogEntryValue> getRequiredLogEntryValues() {
        return EnumSet.of(LogEntryValue.DATE, LogEntryValue.LEVEL, LogEntryValue.MESSAGE, LogEntryValue.EXCEPTION,
                LogEntryValue.CLASS);
    }

    @Override
    public void write(LogEntry entry) throws Exception {
        StringBuilder line = new StringBuilder(160);
        if (journal) {
            line.append('<').append(priority(entry.getLevel())).append('>');
        } else {
            Instant at = entry.getTimestamp() == null ? Instant.now() : entry.getTimestamp().toInstant();
            line.append(at).append(' ').append(padded(entry.getLevel())).append(' ');
        }
        String source = source(entry.getClassName());
        if (!source.isEmpty()) {
            line.append('[').append(source).append("] ");
        }
        line.append(oneLine(entry.getMessage()));
        Throwable exception = entry.getException();
        if (exception != null) {
            line.append(" (").append(exception.getClass().getName());
            if (exception.getMessage() != null) {
                line.append(": ").append(oneLine(exception.getMessage()));
            }
            line.append(')');
        }
        line.append('\n');
        byte[] bytes = line.toString().getBytes(StandardCharsets.UTF_8);
        synchronized (out) {
            out.write(bytes);
            out.flush();
        }
    }

    /**
     * @param level a tinylog level
     * @return its syslog priority
     */
    static int priority(Level level) {
        return switch (level) {
            case ERROR -> 3;
            case WARN -> 4;
            case INFO -> 6;
            default -> 7;
        };
    }

    /** The level's name padded to five characters (a formatter per line was a tenth of a log line's cost). */
    private static String padded(Level level) {
        String name = level.name();
        return name.length() >= 5 ? name : name + " ".repeat(5 - name.length());
    }

    private static String source(String className) {
        if (className == null || className.startsWith("dev.tokenkeeper.")) {
            return "";
        }
        // Library logs (Jetty, Quartz, jdbi) are tagged with their top package so they are easy to filter.
        String[] parts = className.split("\\.");
        return parts.length >= 2 ? parts[0] + "." + parts[1] : className;
    }

    private static String oneLine(String text) {
        if (text == null) {
            return "";
        }
        return text.replace("\r", "\\r").replace("\n", "\\n");
    }

    @Override
    public void flush() throws Exception {
        out.flush();
    }

    @Override
    public void close() throws Exception {
        out.flush();
    }
}
