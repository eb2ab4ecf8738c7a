package dev.tokenkeeper.daemon.log;

import org.tinylog.configuration.Configuration;

import java.util.Locale;
import java.util.Map;

/**
 * Configures tinylog before the first log line: one {@link JournalWriter} on stdout, our own events
 * at {@code TOKENKEEPER_LOG_LEVEL} (info), chatty libraries at warning. Library logs arrive
 * through SLF4J and {@code slf4j-tinylog}.
 */
public final class Logging {

    private Logging() {
    }

    /**
     * @param settings the daemon's settings (reads {@code TOKENKEEPER_LOG_LEVEL})
     */
    public static void configure(Map<String, String> settings) {
        if (Configuration.isFrozen()) {
            return;
        }
        String level = settings.getOrDefault("TOKENKEEPER_LOG_LEVEL", "info").trim().toLowerCase(Locale.ROOT);
        Configuration.set("writer", JournalWriter.class.getName());
        Configuration.set("writingthread", "false");
        Configuration.set("autoshutdown", "false");
        Configuration.set("level", level);
        // Apache HttpClient (a bundled provider's upstream transport) logs whole requests at debug, its wire
        // and header loggers included: a refresh grant and a client's Authorization header. Never below warn.
        for (String noisy : new String[] {"org.eclipse.jetty", "io.javalin", "org.quartz", "org.jdbi", "org.sqlite",
                "com.zaxxer", "io.micrometer", "org.apache.hc"}) {
            Configuration.set("level@" + noisy, "warn");
        }
    }
}
