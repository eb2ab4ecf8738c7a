package dev.tokenkeeper.daemon.assembly;

import dev.tokenkeeper.daemon.refresh.EmbeddedStore;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.daemon.config.DaemonConfig;
import dev.tokenkeeper.daemon.config.DaemonPluginContext;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.http.BoundAddress;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Must-show 1: for every part N, an assembly whose N-th part fails to start leaves nothing of the
 * parts started before it: no thread, the open files (sockets among them) as before, the store
 * closed, no bound-address file. A start followed by a close leaves the same, and the port it
 * listened on can be bound again. The API listens on port 0 (no fixed port, as in every test).
 */
class AssemblyStartFailureTest {

    /** Threads the JVM owns and shares, which no part starts or may stop. */
    private static final List<String> JVM_THREADS = List.of("ForkJoinPool.commonPool-worker-", "process reaper",
            "Attach Listener", "Common-Cleaner", "Notification Thread");

    @TempDir
    static Path folder;

    /** Loads every class and JVM-wide facility once, so what stays after it is the parts' own. */
    @BeforeAll
    static void warmUp() throws Exception {
        try (Assembly warm = assembly(folder.resolve("warm-up"), sqlite())) {
            warm.start();
        }
    }

    @Test
    void everyPartFailingToStartLeavesTheEarlierOnesClosed() throws Exception {
        List<String> names = assembly(folder.resolve("names"), sqlite()).partNames();
        assertEquals(List.of("store", "crash recovery", "setting imports", "scheduler", "change follower", "consumers",
                "metrics", "notifications", "file sink", "legacy rows", "sign-in", "control API"), names);
        for (int n = 0; n < names.size(); n++) {
            String failing = names.get(n);
            Baseline before = Baseline.now();
            Path state = folder.resolve("fails-" + n);
            TokenStore store = sqlite();
            Assembly assembly = assembly(state, store);
            IllegalStateException planted = new IllegalStateException("planted failure of " + failing);
            RuntimeException thrown = assertThrows(RuntimeException.class, () -> assembly.start(part ->
                    part.name().equals(failing) ? new Part(part.name(), () -> {
                        throw planted;
                    }, part.stop()) : part));
            assertSame(planted, thrown, "the failing part's own exception leaves start()");
            assertEquals(List.of(), assembly.startedParts(), "part " + n + " (" + failing + "): every started part closed");
            assertNothingLeft(before, state, store, n > 0, failing);
        }
    }

    @Test
    void aStartedAssemblyClosesEverything() throws Exception {
        Baseline before = Baseline.now();
        Path state = folder.resolve("runs");
        TokenStore store = sqlite();
        Assembly assembly = assembly(state, store).start();
        int port = assembly.port();
        assertTrue(port > 0, "listening");
        assertTrue(Files.exists(state.resolve(BoundAddress.FILE)), "the bound-address file while running");
        assertEquals(assembly.partNames(), assembly.startedParts());
        assertFalse(Baseline.now().threads().equals(before.threads()), "the parts run threads of their own");
        assembly.close();
        assertEquals(List.of(), assembly.startedParts());
        assertNothingLeft(before, state, store, true, "none");
        try (ServerSocket again = new ServerSocket()) {
            again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }
    }

    private static void assertNothingLeft(Baseline before, Path state, TokenStore store, boolean storeOpened,
                                          String failing) throws Exception {
        String context = "after " + failing + " failed to start: ";
        Baseline after = Baseline.settled(before, Duration.ofSeconds(15));
        assertEquals(Set.of(), after.newThreadsSince(before), context + "threads left by the started parts");
        assertEquals(Set.of(), after.newFilesSince(before), context + "open file descriptors (files and sockets) left");
        assertFalse(Files.exists(state.resolve(BoundAddress.FILE)), context + "the bound-address file");
        if (storeOpened) {
            assertTrue(store.toString().contains("closed"), context + "the store reports " + store);
            assertThrows(StoreException.class, store::list, context + "the store answers no more");
        }
        TokenStore again = sqlite();
        again.open(new DaemonPluginContext(Settings.of(Map.of(), Map.of()), state, Clock.systemUTC()));
        try {
            assertEquals(List.of(), again.list(), context + "the store opens again");
        } finally {
            again.close();
        }
    }

    private static Assembly assembly(Path state, TokenStore store) {
        Settings settings = Settings.of(Map.of(
                "TOKENKEEPER_STATE_DIR", state.toString(),
                "TOKENKEEPER_LISTEN", "127.0.0.1:0",
                "TOKENKEEPER_SINK_DIR", state.resolve("sink").toString(),
                "TOKENKEEPER_NOTIFY_URL", "http://127.0.0.1:9/hook",
                "TOKENKEEPER_SCHEDULER_TICK_MILLIS", "50"), Map.of());
        return Assembly.build(DaemonConfig.from(settings), Inputs.given().store(store).clock(MutableClock.startingNow()));
    }

    private static TokenStore sqlite() {
        return EmbeddedStore.found();
    }

    /**
     * The live threads (id and name) and the open file descriptors (number and target). Compared as
     * sets, not counts: a descriptor another test class left to the garbage collector may close
     * meanwhile, which is no leak of ours.
     *
     * @param threads   "id name" of every live thread but the JVM's shared ones
     * @param openFiles "number target" of every entry of /proc/self/fd but the listing's own
     */
    private record Baseline(Set<String> threads, Set<String> openFiles) {

        static Baseline now() throws IOException {
            Set<String> threads = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                    .filter(thread -> JVM_THREADS.stream().noneMatch(thread.getName()::startsWith))
                    .map(thread -> thread.getId() + " " + thread.getName())
                    .collect(Collectors.toCollection(TreeSet::new));
            Set<String> files = new TreeSet<>();
            try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
                fds.forEach(fd -> {
                    try {
                        String target = Files.readSymbolicLink(fd).toString();
                        if (!target.startsWith("/proc/")) {
                            files.add(fd.getFileName() + " " + target);
                        }
                    } catch (IOException closedMeanwhile) {
                        // closed between the listing and the read: not open any more
                    }
                });
            }
            return new Baseline(threads, files);
        }

        /** Waits (bounded) for threads to end and descriptors to close after a stop. */
        static Baseline settled(Baseline before, Duration patience) throws Exception {
            long deadline = System.nanoTime() + patience.toNanos();
            Baseline now = now();
            while ((!now.newThreadsSince(before).isEmpty() || !now.newFilesSince(before).isEmpty())
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
                now = now();
            }
            return now;
        }

        Set<String> newFilesSince(Baseline before) {
            Set<String> added = new TreeSet<>(openFiles);
            added.removeAll(before.openFiles());
            return added;
        }

        Set<String> newThreadsSince(Baseline before) {
            Set<String> added = new TreeSet<>(threads);
            added.removeAll(before.threads());
            return added;
        }
    }
}
