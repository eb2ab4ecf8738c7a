package dev.tokenkeeper.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.TokenStore;

import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The JVM-wide, once-only set-ups a daemon's start meets on its main thread, begun on a thread of
 * their own before the settings are read, so that they run while the main thread configures the
 * log, loads the plugins and reads the key, in the order it meets them: Jackson's
 * {@code ObjectMapper} class (a store plugin's class makes one while the plugins load) and the list
 * of locales (Jetty's MIME table and Javalin's start line read the locale data). Not the default TLS
 * context: the providers build their {@code HttpClient} at their first call
 * ({@link dev.tokenkeeper.api.http.ClientOnFirstUse}), so nothing of the start needs it, and parsing the
 * JDK's CA certificates here took CPU (about 0.15 s) from the parts starting on the other core. Then,
 * once the settings name the store ({@link #store}), that bundled store's {@link TokenStore#warmUp()},
 * while the main thread builds the parts and before it opens the store.
 * <p>
 * Each is made once per JVM under the JDK's own locks: the thread that needs one finds it made or
 * waits for the part still running, so nothing runs twice, nothing waits longer than it did before,
 * and no part's order or deadline changes. A failure here is dropped: the part that needs the thing
 * meets it again and reports it as it always did.
 */
public final class WarmUp implements Runnable {

    private static final AtomicBoolean BEGUN = new AtomicBoolean();
    /** The store's id, once the settings are read; waited for at most this long. */
    private static final BlockingQueue<String> STORE = new LinkedBlockingQueue<>(1);
    private static final long STORE_WAIT_MILLIS = 2_000;

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

    /**
     * Names the store the settings chose, so that the warm-up thread (if one is running) prepares it.
     *
     * @param id the store's id ({@code TOKENKEEPER_STORE})
     */
    public static void store(String id) {
        STORE.offer(id);
    }

    @Override
    public void run() {
        new ObjectMapper();
        Locale.getAvailableLocales();
        try {
            String id = STORE.poll(STORE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            if (id != null) {
                // Another instance than the one the assembly opens: the set-ups are the JVM's, not the instance's.
                ServiceLoader.load(TokenStore.class).stream().map(ServiceLoader.Provider::get)
                        .filter(store -> store.id().equals(id)).findFirst().ifPresent(TokenStore::warmUp);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | ServiceConfigurationError e) {
            // The plugin loader and the store's open meet it again and say what is wrong.
        }
    }
}
