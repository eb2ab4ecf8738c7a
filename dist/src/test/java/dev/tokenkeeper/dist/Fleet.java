package dev.tokenkeeper.dist;

import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The fixture of the tests that start daemon processes, in one place: a temporary folder, the
 * daemons started in it, the imitations and other things to close, and at the end a search of every
 * output it saw for every secret it was told about.
 * <p>
 * {@code @RegisterExtension Fleet fleet = new Fleet();} gives each test method a fleet of its own;
 * on a {@code static} field, the class's methods share one (its daemons run from the first method to
 * the end of the class). At the end the fleet stops its daemons (last started first), then searches
 * each daemon's output (every run), each CLI output it ran, and each text or file handed to
 * {@link #saw}/{@link #watch} for every secret registered with {@link #secret}, {@link #secrets} or
 * {@link #upstream}, and for each daemon's admin token; then it closes what it was handed (last
 * first) and deletes the folder. A secret found fails the test, naming the output and the secret's
 * first four characters and length, never the secret.
 */
final class Fleet implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {

    private final List<DaemonProcess> daemons = new ArrayList<>();
    private final Deque<AutoCloseable> closeables = new ArrayDeque<>();
    private final List<Supplier<? extends Collection<String>>> secretSources = new ArrayList<>();
    private final Map<String, Supplier<String>> outputs = new LinkedHashMap<>();
    private boolean perClass;
    private Path folder;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        perClass = true;
        open(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        if (!perClass) {
            open(context);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (!perClass) {
            finish();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        finish();
    }

    private synchronized void open(ExtensionContext context) throws IOException {
        daemons.clear();
        closeables.clear();
        secretSources.clear();
        outputs.clear();
        folder = Files.createTempDirectory("fleet-" + context.getRequiredTestClass().getSimpleName() + "-");
    }

    /** @return the fleet's temporary folder (deleted at the end) */
    synchronized Path temp() {
        if (folder == null) {
            throw new IllegalStateException("the fleet is not open: register it with @RegisterExtension");
        }
        return folder;
    }

    /** @return {@code name} in the fleet's folder, created with its parents if missing */
    Path folder(String name) throws IOException {
        return Files.createDirectories(temp().resolve(name));
    }

    /**
     * A daemon, not started yet, whose output the fleet searches and which it stops at the end.
     *
     * @param state       its state folder (kept across its restarts)
     * @param environment extra environment variables
     */
    synchronized DaemonProcess daemon(Path state, Map<String, String> environment) {
        DaemonProcess daemon = new DaemonProcess(state, environment);
        daemons.add(daemon);
        return daemon;
    }

    /** A daemon, not started yet, on a state folder of its own in the fleet's folder. */
    synchronized DaemonProcess daemon(Map<String, String> environment) {
        return daemon(temp().resolve("daemon-" + (daemons.size() + 1)), environment);
    }

    /** {@link #daemon(Path, Map)}, started. */
    DaemonProcess start(Path state, Map<String, String> environment) throws IOException, InterruptedException {
        return daemon(state, environment).start();
    }

    /** {@link #daemon(Map)}, started. */
    DaemonProcess start(Map<String, String> environment) throws IOException, InterruptedException {
        return daemon(environment).start();
    }

    /** Closes {@code closeable} at the end, after the daemons stopped, in the reverse order of handing. */
    synchronized <T extends AutoCloseable> T closeAfter(T closeable) {
        closeables.push(closeable);
        return closeable;
    }

    /** A secret no output may hold. @return the secret */
    String secret(String secret) {
        secrets(() -> List.of(secret));
        return secret;
    }

    /** Secrets no output may hold, asked for at the end (an imitation keeps issuing them meanwhile). */
    synchronized void secrets(Supplier<? extends Collection<String>> source) {
        secretSources.add(source);
    }

    /** The Gazelle imitation: closed at the end, everything it issued (and its client secret) a secret. */
    FakeGazelle upstream(FakeGazelle gazelle) {
        secrets(gazelle::allIssuedSecrets);
        secret(gazelle.clientSecret());
        return closeAfter(gazelle);
    }

    /** The Vinted imitation: closed at the end, every session and token it issued a secret. */
    FakeVinted upstream(FakeVinted vinted) {
        secrets(vinted::allIssuedSecrets);
        return closeAfter(vinted);
    }

    /** A text the test got (a page, a body it did not ask a token in), searched at the end. @return the text */
    synchronized String saw(String where, String text) {
        String key = where;
        for (int i = 2; outputs.containsKey(key); i++) {
            key = where + " #" + i;
        }
        outputs.put(key, () -> text);
        return text;
    }

    /** A file searched at the end, as it is then (absent: nothing to search). */
    synchronized void watch(String where, Path file) {
        outputs.put(where, () -> {
            try {
                return Files.exists(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + file + " (" + where + ")", e);
            }
        });
    }

    /** {@code bin/tokenkeeper ARGS} with {@code environment}, its output searched at the end. */
    DaemonProcess.Response cli(Map<String, String> environment, String... args) throws Exception {
        DaemonProcess.Response response = CliProcess.run(environment, args);
        saw("CLI `" + String.join(" ", args) + "` output", response.body());
        return response;
    }

    /** {@code bin/tokenkeeper ARGS} as a client of {@code daemon}, its output searched at the end. */
    DaemonProcess.Response cli(DaemonProcess daemon, String... args) throws Exception {
        DaemonProcess.Response response = daemon.cli(args);
        saw("CLI `" + String.join(" ", args) + "` output", response.body());
        return response;
    }

    /**
     * Searches every output seen so far for every secret known so far (the end does it again).
     *
     * @throws AssertionError naming each output that holds a secret, and the secret's first characters
     */
    synchronized void assertNoSecrets() throws IOException {
        Set<String> secrets = new LinkedHashSet<>();
        for (Supplier<? extends Collection<String>> source : secretSources) {
            secrets.addAll(source.get());
        }
        Map<String, String> texts = new LinkedHashMap<>();
        for (int i = 0; i < daemons.size(); i++) {
            DaemonProcess daemon = daemons.get(i);
            String name = "daemon #" + (i + 1) + " (" + daemon.stateDir().getFileName() + ")";
            texts.put(name + " output", daemon.output());
            Path adminToken = daemon.stateDir().resolve("admin-token");
            if (Files.isRegularFile(adminToken)) {
                secrets.add(daemon.adminToken());
            }
        }
        outputs.forEach((where, text) -> texts.put(where, text.get()));
        secrets.removeIf(secret -> secret == null || secret.isBlank());
        List<String> found = new ArrayList<>();
        texts.forEach((where, text) -> {
            for (String secret : secrets) {
                if (text.contains(secret)) {
                    found.add(where + " holds the secret " + secret.substring(0, Math.min(4, secret.length()))
                            + "… (" + secret.length() + " characters)");
                }
            }
        });
        if (!found.isEmpty()) {
            throw new AssertionError("secrets in the outputs:\n  " + String.join("\n  ", found));
        }
    }

    private synchronized void finish() throws Exception {
        if (folder == null) {
            return;
        }
        Exception failure = null;
        try {
            for (int i = daemons.size() - 1; i >= 0; i--) {
                daemons.get(i).stop();
            }
            assertNoSecrets();
        } finally {
            while (!closeables.isEmpty()) {
                try {
                    closeables.pop().close();
                } catch (Exception e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            delete(folder);
            folder = null;
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Best effort: a file left behind in the temporary folder is no reason to fail a test. */
    private static void delete(Path folder) {
        try (Stream<Path> walk = Files.walk(folder)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    System.out.println("fleet: cannot delete " + path + ": " + e);
                }
            });
        } catch (IOException e) {
            System.out.println("fleet: cannot delete " + folder + ": " + e);
        }
    }
}
