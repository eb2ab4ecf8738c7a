package dev.tokenkeeper.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.tinylog.configuration.ConfigurationLoader;
import org.tinylog.runtime.RuntimeProvider;
import dev.tokenkeeper.api.TokenStore;

import java.io.IOException;
import java.net.URL;
import java.util.Enumeration;
import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The JVM-wide, once-only set-ups a daemon's start meets on its main thread, begun on threads of
 * their own so that they run while the main thread reads the settings, configures the log, loads the
 * plugins and builds the parts. On the "start-warm-up" thread, in the order the main thread meets
 * them: tinylog's walk of every jar for its configuration files and its runtime dialect (whose static
 * set-up reads the JVM's start time through JMX), Jackson's {@code ObjectMapper} class (a store
 * plugin's class makes one while the plugins load) and the list of locales (Jetty's MIME table and
 * Javalin's start line read the locale data). On the "store-warm-up" thread, begun once the settings
 * name the store ({@link #store}): that bundled store's {@link TokenStore#warmUp()}, the longest of
 * them, which the main thread needs first, when it opens the store. Not the default TLS context: the
 * providers build their {@code HttpClient} at their first call
 * ({@link dev.tokenkeeper.api.http.ClientOnFirstUse}), so nothing of the start needs it, and parsing the
 * JDK's CA certificates here took CPU (about 0.15 s) from the parts starting on the other core.
 * <p>
 * Each is made once per JVM under the JDK's own locks: the thread that needs one finds it made or
 * waits for the part still running, so nothing runs twice, nothing waits longer than it did before,
 * and no part's order or deadline changes. Nothing here logs or reads tinylog's configuration, which
 * the main thread sets before its first log line. A failure here is dropped: the part that needs the
 * thing meets it again and reports it as it always did.
 */
public final class WarmUp implements Runnable {

    private static final AtomicBoolean BEGUN = new AtomicBoolean();
    private static final AtomicBoolean STORE_BEGUN = new AtomicBoolean();

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
     * Prepares the store the settings chose on a daemon thread of its own, once per JVM.
     *
     * @param id the store's id ({@code TOKENKEEPER_STORE})
     */
    public static void store(String id) {
        if (!STORE_BEGUN.compareAndSet(false, true)) {
            return;
        }
        // A thread of its own: the store's set-ups are the longest (its native library, jdbi's first
        // statement), and the main thread needs them first, when it opens the store.
        Thread thread = new Thread(() -> storeWarmUp(id), "store-warm-up");
        thread.setDaemon(true);
        thread.start();
    }

    private static void storeWarmUp(String id) {
        try {
            // Another instance than the one the assembly opens: the set-ups are the JVM's, not the instance's.
            ServiceLoader.load(TokenStore.class).stream().map(ServiceLoader.Provider::get)
                    .filter(store -> store.id().equals(id)).findFirst().ifPresent(TokenStore::warmUp);
        } catch (RuntimeException | ServiceConfigurationError e) {
            // The plugin loader and the store's open meet it again and say what is wrong.
        }
    }

    @Override
    public void run() {
        // tinylog looks for its configuration loaders and tinylog.properties in every jar, which opens
        // each of lib/'s jars (a missed resource is looked for in all of them): the main thread meets it
        // first thing, so it goes first here. The lookup is lazy until its results are walked.
        try {
            Enumeration<URL> found = ClassLoader.getSystemClassLoader()
                    .getResources("META-INF/services/" + ConfigurationLoader.class.getName());
            while (found.hasMoreElements()) {
                found.nextElement();
            }
        } catch (IOException e) {
            // tinylog's own walk meets it again.
        }
        // tinylog's runtime dialect reads the JVM's start time through JMX in its static set-up (about
        // 0.05-0.1 s of class loading here).
        RuntimeProvider.isAndroid();
        new ObjectMapper();
        Locale.getAvailableLocales();
    }
}
