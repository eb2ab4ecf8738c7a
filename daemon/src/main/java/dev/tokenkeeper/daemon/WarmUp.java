package dev.tokenkeeper.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The JVM-wide, once-only set-ups a daemon's start meets on its main thread, begun on a thread of
 * their own before the settings are read, so that they run while the main thread configures the
 * log, loads the plugins and reads the key, in the order it meets them: Jackson's
 * {@code ObjectMapper} class (a store plugin's class makes one while the plugins load) and the list
 * of locales (Jetty's MIME table and Javalin's start line read the locale data). Not the default TLS
 * context: the providers build their {@code HttpClient} at their first call
 * ({@link dev.tokenkeeper.api.http.ClientOnFirstUse}), so nothing of the start needs it, and parsing the
 * JDK's CA certificates here took CPU (about 0.15 s) from the parts starting on the other core.
 * <p>
 * Each is made once per JVM under the JDK's own locks: the thread that needs one finds it made or
 * waits for the part still running, so nothing runs twice, nothing waits longer than it did before,
 * and no part's order or deadline changes. A failure here is dropped: the part that needs the thing
 * meets it again and reports it as it always did.
 */
public final class WarmUp implements Runnable {

    private static final AtomicBoolean BEGUN = new AtomicBoolean();

    private WarmUp() {
    }

    /**
     * Starts the set-ups on a daemon thread and returns at once; once per JVM ({@code run} begins them
     * before it reads its settings, {@link Daemon#start} in case nothing did).
     */
    public static void begin() {
        if (!BEGUN.compareAndSet(false, true)) {
            return;
        }
        Thread thread = new Thread(new WarmUp(), "start-warm-up");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void run() {
        new ObjectMapper();
        Locale.getAvailableLocales();
    }
}
