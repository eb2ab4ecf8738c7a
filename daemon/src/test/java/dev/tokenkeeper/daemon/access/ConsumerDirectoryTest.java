package dev.tokenkeeper.daemon.access;

import dev.tokenkeeper.daemon.refresh.EmbeddedStore;
import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.store.Consumers;
import dev.tokenkeeper.api.store.StoreCapability;
import dev.tokenkeeper.daemon.config.DaemonPluginContext;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.crypto.ConsumerRowMac;
import dev.tokenkeeper.daemon.crypto.Keyring;
import dev.tokenkeeper.daemon.crypto.MasterKey;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The directory against the real SQLite store, with every store call counted. */
class ConsumerDirectoryTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final List<CredentialId> BOTH = List.of(CredentialId.parse("gazelle:a"), CredentialId.parse("gazelle:b"));

    @TempDir
    Path state;

    private TokenStore sqlite;
    private TokenStore store;
    private Consumers rows;
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final SecretSealer sealer = new SecretSealer(Keyring.of(MasterKey.generate(RANDOM)));
    private final List<ConsumerDirectory> opened = new ArrayList<>();
    /** Created-at and last-read times; the re-reads run on the directory's own timer. */
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00.123456789Z"));
    /** While set, the store's consumer rows cannot be read. */
    private volatile boolean rowsUnreadable;
    /** While set, the store fails to write a row's tag. */
    private volatile boolean taggingFails;
    /** Run once by the next read of the consumer rows, after the rows were read and before they are returned. */
    private volatile Runnable afterNextRowsRead;

    @BeforeEach
    void openStore() {
        sqlite = EmbeddedStore.found();
        sqlite.open(new DaemonPluginContext(Settings.of(Map.of(), Map.of()), state, Clock.systemUTC()));
        store = (TokenStore) Proxy.newProxyInstance(TokenStore.class.getClassLoader(),
                new Class<?>[] {TokenStore.class, Consumers.class}, (proxy, method, args) -> {
                    if (method.getName().equals("capability")) {
                        // A look-up, not a store call: the consumer rows are this counting proxy.
                        return args[0] == Consumers.class ? Optional.of(proxy)
                                : sqlite.capability(((Class<?>) args[0]).asSubclass(StoreCapability.class));
                    }
                    calls.computeIfAbsent(method.getName(), name -> new AtomicInteger()).incrementAndGet();
                    if (rowsUnreadable && method.getName().equals("consumers")) {
                        throw new StoreUnavailableException("test: the consumer rows cannot be read", null);
                    }
                    if (taggingFails && method.getName().equals("setConsumerMac")) {
                        throw new StoreUnavailableException("test: the store went away", null);
                    }
                    Object answer;
                    try {
                        answer = method.invoke(sqlite, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    Runnable racing = afterNextRowsRead;
                    if (racing != null && method.getName().equals("consumers")) {
                        afterNextRowsRead = null;
                        racing.run();
                    }
                    return answer;
                });
        rows = (Consumers) store;
    }

    @AfterEach
    void close() {
        opened.forEach(ConsumerDirectory::close);
        sqlite.close();
    }

    private ConsumerDirectory directory(Path folder) {
        return directory(folder, Duration.ofMillis(200));
    }

    private ConsumerDirectory directory(Path folder, Duration reread) {
        ConsumerDirectory directory = new ConsumerDirectory(store, new ConsumerRowMac(sealer::keyring),
                new ConsumerRowUpgrade(folder), clock, Duration.ZERO);
        opened.add(directory);
        return directory.start(reread);
    }

    private int storeCalls() {
        return calls.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    private static Consumer untagged(String name, String token) {
        return new Consumer(name, ConsumerTokens.hash(token), BOTH, Instant.now());
    }

    @Test
    void aRowWithoutAValidTagGrantsNothingAndIsCountedWhileAConsumerMadeHereWorks() {
        ConsumerRowUpgrade.markNothingToUpgrade(state);
        ConsumerDirectory directory = directory(state);
        String legit = directory.create("legit", BOTH.subList(0, 1));
        String forged = ConsumerTokens.generate();
        assertTrue(rows.insertConsumer(untagged("intruder", forged)));
        String copied = ConsumerTokens.generate();
        String legitTag = rows.consumers().stream().filter(c -> c.name().equals("legit")).findFirst().orElseThrow()
                .mac().orElseThrow();
        assertTrue(rows.insertConsumer(untagged("copycat", copied).withMac(legitTag)));
        await().atMost(Duration.ofSeconds(5)).until(() -> directory.ignoredRows() == 2);
        assertTrue(directory.authenticate(forged).isEmpty());
        assertTrue(directory.authenticate(copied).isEmpty());
        assertEquals("legit", directory.authenticate(legit).orElseThrow().name());
        assertEquals(List.of("legit"), directory.list().stream().map(ConsumerDirectory.Listed::name).toList());
    }

    @Test
    void tenThousandWrongTokensCostNoStoreCallAndARevocationTakesEffectAtOnce() {
        ConsumerRowUpgrade.markNothingToUpgrade(state);
        ConsumerDirectory directory = new ConsumerDirectory(store, new ConsumerRowMac(sealer::keyring),
                new ConsumerRowUpgrade(state), Clock.systemUTC(), Duration.ZERO).start(Duration.ofHours(1));
        opened.add(directory);
        String token = directory.create("reader", BOTH);
        int before = storeCalls();
        for (int i = 0; i < 10_000; i++) {
            assertTrue(directory.authenticate(ConsumerTokens.generate()).isEmpty());
        }
        assertEquals("reader", directory.authenticate(token).orElseThrow().name());
        assertEquals(before, storeCalls(), "store calls for 10,000 wrong tokens: " + calls);
        directory.revoke("reader");
        assertTrue(directory.authenticate(token).isEmpty(), "revoked here at once");
    }

    @Test
    void rowsOfAnEarlierVersionAreTaggedOnceAndAnUntaggedRowAddedLaterIsNot() throws Exception {
        String earlier = ConsumerTokens.generate();
        assertTrue(rows.insertConsumer(untagged("earlier", earlier)));
        Files.writeString(state.resolve("a-file-of-an-earlier-version"), "x");
        ConsumerDirectory first = directory(state);
        assertEquals("earlier", first.authenticate(earlier).orElseThrow().name(), "upgraded at start");
        assertTrue(Files.readString(state.resolve(ConsumerRowUpgrade.MARKER)).contains("done"));

        String later = ConsumerTokens.generate();
        assertTrue(rows.insertConsumer(untagged("later", later)));
        ConsumerDirectory restarted = directory(state);
        await().atMost(Duration.ofSeconds(5)).until(() -> restarted.ignoredRows() == 1 && first.ignoredRows() == 1);
        assertTrue(restarted.authenticate(later).isEmpty(), "the upgrade happens once: a later untagged row is forged");
        assertTrue(first.authenticate(later).isEmpty());
        assertTrue(restarted.authenticate(earlier).isPresent());

        // Another daemon on the store, its state folder of an earlier version too, sees a tagged row: it blesses nothing.
        Path other = Files.createDirectories(state.resolve("other"));
        Files.writeString(other.resolve("a-file-of-an-earlier-version"), "x");
        ConsumerDirectory joining = directory(other);
        assertTrue(joining.authenticate(later).isEmpty());
        assertTrue(joining.authenticate(earlier).isPresent());
    }

    @Test
    void aNewStateFolderBlessesNothing() throws Exception {
        Path fresh = state.resolve("fresh");
        assertTrue(ConsumerRowUpgrade.isNewStateFolder(fresh));
        Files.createDirectories(fresh);
        assertTrue(ConsumerRowUpgrade.isNewStateFolder(fresh), "empty counts as new");
        ConsumerRowUpgrade.markNothingToUpgrade(fresh);
        String forged = ConsumerTokens.generate();
        assertTrue(rows.insertConsumer(untagged("intruder", forged)));
        ConsumerDirectory directory = directory(fresh);
        assertTrue(directory.authenticate(forged).isEmpty());
        assertEquals(1, directory.ignoredRows());
    }

    @Test
    void aRekeyTagsRowsAgainWithTheNewKeySoTheySurviveTheOldKeysDestruction() {
        ConsumerRowUpgrade.markNothingToUpgrade(state);
        ConsumerDirectory directory = directory(state);
        String token = directory.create("reader", BOTH);
        String forged = ConsumerTokens.generate();
        assertTrue(rows.insertConsumer(untagged("intruder", forged)));
        MasterKey next = MasterKey.generate(RANDOM);
        sealer.useKeyring(sealer.keyring().rotateTo(next));
        assertEquals(1, ConsumerRowRetag.toCurrentKey(store, sealer), "the legitimate row only");
        sealer.useKeyring(Keyring.of(next));
        ConsumerDirectory restarted = directory(state);
        assertTrue(restarted.authenticate(token).isPresent());
        assertTrue(restarted.authenticate(forged).isEmpty(), "a rekey blesses nothing");
        assertTrue(rows.consumers().stream().filter(c -> c.name().equals("reader"))
                .allMatch(c -> c.mac().orElseThrow().startsWith(next.id() + ":")));
    }

    @Test
    void aConsumerIsCreatedOnceByNameAndListedWithWhatItMayReadAndWhatItRead() {
        ConsumerRowUpgrade.markNothingToUpgrade(state);
        ConsumerDirectory directory = directory(state, Duration.ofHours(1));
        CredentialId a = BOTH.get(0);
        CredentialId b = BOTH.get(1);
        String token = directory.create("reader", List.of(a, b, a));
        assertTrue(token.startsWith(ConsumerTokens.PREFIX), "recognisable as a consumer token");
        Instant created = Instant.parse("2026-01-01T00:00:00.123Z");
        assertEquals(List.of(new ConsumerDirectory.Listed("reader", BOTH, created, null, 0)), directory.list(),
                "each credential once; created-at in the store's milliseconds; not read yet");
        ConsumerDirectory.NameTakenException taken = assertThrows(ConsumerDirectory.NameTakenException.class,
                () -> directory.create("reader", BOTH));
        assertEquals("a consumer named reader exists already: revoke it first or choose another name", taken.getMessage());
        assertEquals(Duration.ZERO, directory.failureDelay());

        assertTrue(directory.recordRead("reader", a, 1), "its first read of version 1");
        assertFalse(directory.recordRead("reader", a, 1), "the same version again");
        assertTrue(directory.recordRead("reader", b, 1), "another credential's version 1");
        assertTrue(directory.recordRead("admin", a, 1), "another reader's first read");
        Instant lastRead = clock.advance(Duration.ofMinutes(5));
        assertTrue(directory.recordRead("reader", a, 2), "a new version");
        assertTrue(directory.recordRead("reader", a, 1), "back to an older version is a change too");
        assertEquals(List.of(new ConsumerDirectory.Listed("reader", BOTH, created, lastRead, 5)), directory.list());

        assertTrue(directory.revoke("reader"));
        assertFalse(directory.revoke("reader"), "nothing left to revoke");
        assertEquals(List.of(), directory.list());
        assertTrue(directory.authenticate(token).isEmpty());
    }

    @Test
    void aStoreThatKeepsNoConsumersRefusesNewOnesAndAuthenticatesNobody() {
        ConsumerRowUpgrade.markNothingToUpgrade(state);
        TokenStore coreOnly = (TokenStore) Proxy.newProxyInstance(TokenStore.class.getClassLoader(),
                new Class<?>[] {TokenStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("capability")) {
                        return Optional.empty();
                    }
                    try {
                        return method.invoke(sqlite, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        ConsumerDirectory directory = new ConsumerDirectory(coreOnly, new ConsumerRowMac(sealer::keyring),
                new ConsumerRowUpgrade(state), clock, Duration.ZERO).start(Duration.ofHours(1));
        opened.add(directory);
        StoreException refused = assertThrows(StoreException.class, () -> directory.create("reader", BOTH));
        assertEquals("the sqlite store keeps no consumers: use a store that does (sqlite, postgres, supabase) to add one",
                refused.getMessage());
        assertEquals(List.of(), directory.list());
        assertFalse(directory.revoke("reader"));
        assertEquals(0, ConsumerRowRetag.toCurrentKey(coreOnly, sealer));
    }

    @Test
    void aConsumerMadeOrRevokedOnAnotherDaemonCountsHereAtTheNextRead() {
        ConsumerRowUpgrade.markNothingToUpgrade(state);
        ConsumerDirectory here = directory(state, Duration.ofHours(1));
        ConsumerDirectory elsewhere = directory(state, Duration.ofHours(1));
        String token = elsewhere.create("reader", BOTH);
        assertTrue(here.authenticate(token).isEmpty(), "not read here yet");
        here.reread();
        await().atMost(Duration.ofSeconds(5)).until(() -> here.authenticate(token).isPresent());
        assertEquals(List.of("reader"), here.list().stream().map(ConsumerDirectory.Listed::name).toList());

        assertTrue(elsewhere.revoke("reader"));
        here.reread();
        await().atMost(Duration.ofSeconds(5)).until(() -> here.authenticate(token).isEmpty());
    }

    @Test
    void withoutAChangeFeedTheDirectoryRereadsTheStoreEveryTwoSeconds() {
        ConsumerRowUpgrade.markNothingToUpgrade(state);
        assertEquals(Duration.ofSeconds(2), ConsumerDirectory.REREAD_WITHOUT_FEED);
        assertEquals(Duration.ofMinutes(1), ConsumerDirectory.REREAD_WITH_FEED);
        ConsumerDirectory here = new ConsumerDirectory(store, new ConsumerRowMac(sealer::keyring),
                new ConsumerRowUpgrade(state), clock, Duration.ZERO).start(false);
        opened.add(here);
        String token = directory(state, Duration.ofHours(1)).create("reader", BOTH);
        // The directory's own timer: wall time, bounded by the interval and a margin for a loaded machine.
        await().atMost(Duration.ofSeconds(8)).until(() -> here.authenticate(token).isPresent());
    }

    @Test
    void whenTheStoreCannotBeReadTheConsumersReadBeforeKeepWorkingAndTheReadIsTriedAgain() {
        ConsumerRowUpgrade.markNothingToUpgrade(state);
        ConsumerDirectory here = directory(state, Duration.ofHours(1));
        String before = here.create("before", BOTH);
        rowsUnreadable = true;
        int failedReads = calls.getOrDefault("consumers", new AtomicInteger()).get();
        here.reread();
        await().atMost(Duration.ofSeconds(5)).until(() -> calls.get("consumers").get() > failedReads);
        assertTrue(here.authenticate(before).isPresent(), "what was read before still works");

        String after = directory(state, Duration.ofHours(1)).create("after", BOTH);
        rowsUnreadable = false;
        // Tried again after ConsumerDirectory.RETRY (5 s) on the directory's timer: wall time, bounded.
        await().atMost(Duration.ofSeconds(15)).until(() -> here.authenticate(after).isPresent());
        assertTrue(here.authenticate(before).isPresent());
    }

    @Test
    void onlyATokenOfTheConsumerFormIsLookedUp() {
        ConsumerRowUpgrade.markNothingToUpgrade(state);
        ConsumerDirectory directory = directory(state, Duration.ofHours(1));
        String token = directory.create("reader", BOTH);
        assertTrue(directory.authenticate(token.substring(ConsumerTokens.PREFIX.length())).isEmpty(), "without its prefix");
        assertTrue(directory.authenticate("tkc_" + "A".repeat(300)).isEmpty());
        assertTrue(directory.authenticate(token + " ").isEmpty());
        assertEquals("reader", directory.authenticate(token).orElseThrow().name());
        directory.close();
        directory.reread(); // a closed directory reads nothing, and says nothing
        assertTrue(directory.authenticate(token).isPresent(), "what it read stays until the daemon stops");
    }

    @Test
    void anInterruptedUpgradeResumesWithTheRowsItPlannedOnly() throws Exception {
        String first = ConsumerTokens.generate();
        String second = ConsumerTokens.generate();
        assertTrue(rows.insertConsumer(untagged("first", first)));
        assertTrue(rows.insertConsumer(untagged("second", second)));
        Path marker = state.resolve(ConsumerRowUpgrade.MARKER);
        Files.write(marker, List.of("planned", "first " + ConsumerTokens.hash(first), ""));
        ConsumerRowUpgrade upgrade = new ConsumerRowUpgrade(state);
        ConsumerRowMac macs = new ConsumerRowMac(sealer::keyring);
        assertTrue(upgrade.pending());

        upgrade.run(rows, macs);

        assertFalse(upgrade.pending());
        assertEquals(List.of("done"), Files.readAllLines(marker));
        assertEquals(Map.of("first", ConsumerRowMac.Verdict.CURRENT_KEY, "second", ConsumerRowMac.Verdict.MISSING),
                verdicts(macs), "the row added after the plan was written is not blessed");
        upgrade.run(rows, macs);
        assertEquals(ConsumerRowMac.Verdict.MISSING, verdicts(macs).get("second"), "done is done");
    }

    @Test
    void theRowsToBlessAreWrittenDownBeforeTheFirstTagSoAStoreFailureCannotWidenThem() throws Exception {
        String first = ConsumerTokens.generate();
        String second = ConsumerTokens.generate();
        assertTrue(rows.insertConsumer(untagged("first", first)));
        assertTrue(rows.insertConsumer(untagged("second", second)));
        ConsumerRowUpgrade upgrade = new ConsumerRowUpgrade(state);
        ConsumerRowMac macs = new ConsumerRowMac(sealer::keyring);
        taggingFails = true;

        assertThrows(StoreUnavailableException.class, () -> upgrade.run(rows, macs));

        List<String> plan = Files.readAllLines(state.resolve(ConsumerRowUpgrade.MARKER));
        assertEquals("planned", plan.get(0));
        assertEquals(java.util.Set.of("first " + ConsumerTokens.hash(first), "second " + ConsumerTokens.hash(second)),
                java.util.Set.copyOf(plan.subList(1, plan.size())));
        assertTrue(upgrade.pending());
        // A store writer adds a row before the upgrade runs again: it is not in the plan.
        assertTrue(rows.insertConsumer(untagged("forged", ConsumerTokens.generate())));
        taggingFails = false;
        upgrade.run(rows, macs);
        assertEquals(Map.of("first", ConsumerRowMac.Verdict.CURRENT_KEY, "second", ConsumerRowMac.Verdict.CURRENT_KEY,
                "forged", ConsumerRowMac.Verdict.MISSING), verdicts(macs));
    }

    @Test
    void aMarkerThatSaysDoneAmongBlankLinesIsDone() throws Exception {
        assertTrue(rows.insertConsumer(untagged("forged", ConsumerTokens.generate())));
        Files.write(state.resolve(ConsumerRowUpgrade.MARKER), List.of("", "done", "  ", ""));
        ConsumerRowUpgrade upgrade = new ConsumerRowUpgrade(state);
        ConsumerRowMac macs = new ConsumerRowMac(sealer::keyring);
        assertFalse(upgrade.pending());
        upgrade.run(rows, macs);
        assertEquals(Map.of("forged", ConsumerRowMac.Verdict.MISSING), verdicts(macs), "done is done");
    }

    @Test
    void anUpgradeBlessesNoRowTaggedWithAnotherKey() throws Exception {
        assertTrue(rows.insertConsumer(untagged("earlier", ConsumerTokens.generate())));
        Keyring otherKeys = Keyring.of(MasterKey.generate(RANDOM));
        ConsumerRowMac otherInstallation = new ConsumerRowMac(() -> otherKeys);
        assertTrue(rows.insertConsumer(otherInstallation.sign(untagged("foreign", ConsumerTokens.generate()))));
        Files.writeString(state.resolve("a-file-of-an-earlier-version"), "x");
        assertFalse(ConsumerRowUpgrade.isNewStateFolder(state), "a folder with something in it is not new");
        ConsumerRowMac macs = new ConsumerRowMac(sealer::keyring);

        new ConsumerRowUpgrade(state).run(rows, macs);

        assertEquals(Map.of("earlier", ConsumerRowMac.Verdict.CURRENT_KEY, "foreign", ConsumerRowMac.Verdict.INVALID),
                verdicts(macs));
    }

    @Test
    void anUpgradeMarkerThatCannotBeWrittenOrReadSaysWhichAndWhatToCheck() throws Exception {
        Path notAFolder = Files.writeString(state.resolve("not-a-folder"), "x");
        UncheckedIOException unwritable = assertThrows(UncheckedIOException.class,
                () -> ConsumerRowUpgrade.markNothingToUpgrade(notAFolder));
        assertEquals("cannot write " + notAFolder.resolve(ConsumerRowUpgrade.MARKER)
                + ": check the state folder's permissions", unwritable.getMessage());
        Path folder = Files.createDirectories(state.resolve("odd").resolve(ConsumerRowUpgrade.MARKER)).getParent();
        UncheckedIOException unreadable = assertThrows(UncheckedIOException.class, () -> new ConsumerRowUpgrade(folder).pending());
        assertEquals("cannot read " + folder.resolve(ConsumerRowUpgrade.MARKER) + ": check the state folder's permissions",
                unreadable.getMessage());
    }

    private Map<String, ConsumerRowMac.Verdict> verdicts(ConsumerRowMac macs) {
        Map<String, ConsumerRowMac.Verdict> verdicts = new java.util.TreeMap<>();
        rows.consumers().forEach(row -> verdicts.put(row.name(), macs.check(row)));
        return verdicts;
    }

    @Test
    void aConsumerCreatedHereWhileARereadIsUnderWayIsNotUndoneByIt() {
        ConsumerRowUpgrade.markNothingToUpgrade(state);
        ConsumerDirectory directory = unstarted();
        String[] racer = new String[1];
        afterNextRowsRead = () -> racer[0] = directory.create("racer", BOTH);

        directory.start(Duration.ofHours(1)); // its first read runs here, on this thread

        assertEquals("racer", directory.authenticate(racer[0]).orElseThrow().name(), "rows read before it are not the truth");
        await().atMost(Duration.ofSeconds(5)).until(() -> calls.get("consumers").get() >= 2);
        assertEquals(0, directory.ignoredRows());
        assertEquals("racer", directory.authenticate(racer[0]).orElseThrow().name(), "the read again found it");
    }

    @Test
    void aConsumerRevokedHereWhileARereadIsUnderWayStaysRevoked() {
        ConsumerRowUpgrade.markNothingToUpgrade(state);
        String victim = directory(state, Duration.ofHours(1)).create("victim", BOTH);
        ConsumerDirectory directory = unstarted();
        afterNextRowsRead = () -> assertTrue(directory.revoke("victim"));

        directory.start(Duration.ofHours(1));

        assertTrue(directory.authenticate(victim).isEmpty(), "rows read before the revocation do not bring it back");
        await().atMost(Duration.ofSeconds(5)).until(() -> calls.get("consumers").get() >= 3);
        assertTrue(directory.authenticate(victim).isEmpty());
    }

    @Test
    void aRevocationHereReadsTheRowsAgainSoTheDirectoryCatchesUpWithTheStore() {
        ConsumerRowUpgrade.markNothingToUpgrade(state);
        ConsumerDirectory here = directory(state, Duration.ofHours(1));
        String madeElsewhere = directory(state, Duration.ofHours(1)).create("elsewhere", BOTH);
        here.create("gone", BOTH);
        assertTrue(here.authenticate(madeElsewhere).isEmpty(), "not read here yet");

        assertTrue(here.revoke("gone"));

        await().atMost(Duration.ofSeconds(5)).until(() -> here.authenticate(madeElsewhere).isPresent());
    }

    /** @return a directory over the counting store, its first read not done yet */
    private ConsumerDirectory unstarted() {
        ConsumerDirectory directory = new ConsumerDirectory(store, new ConsumerRowMac(sealer::keyring),
                new ConsumerRowUpgrade(state), clock, Duration.ZERO);
        opened.add(directory);
        return directory;
    }

    @Test
    void revokingAConsumerLeavesEveryOtherOneWorkingAlsoWhenTheRowsCannotBeReadAgain() {
        ConsumerRowUpgrade.markNothingToUpgrade(state);
        ConsumerDirectory directory = directory(state, Duration.ofHours(1));
        String revoked = directory.create("revoked", BOTH);
        String kept = directory.create("kept", BOTH);
        rowsUnreadable = true; // the re-read after the revocation fails: the directory keeps its own view
        assertTrue(directory.revoke("revoked"));
        assertTrue(directory.authenticate(revoked).isEmpty());
        assertEquals("kept", directory.authenticate(kept).orElseThrow().name());
        rowsUnreadable = false;
    }
}
