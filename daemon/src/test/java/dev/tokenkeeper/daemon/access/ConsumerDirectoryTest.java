package dev.tokenkeeper.daemon.access;

import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.TokenStore;
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
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

    @BeforeEach
    void openStore() {
        sqlite = ServiceLoader.load(TokenStore.class).stream().map(ServiceLoader.Provider::get)
                .filter(s -> s.id().equals("sqlite")).findFirst().orElseThrow();
        sqlite.open(new DaemonPluginContext(Settings.of(Map.of(), Map.of()), state, Clock.systemUTC()));
        store = (TokenStore) Proxy.newProxyInstance(TokenStore.class.getClassLoader(),
                new Class<?>[] {TokenStore.class, Consumers.class}, (proxy, method, args) -> {
                    if (method.getName().equals("capability")) {
                        // A look-up, not a store call: the consumer rows are this counting proxy.
                        return args[0] == Consumers.class ? Optional.of(proxy)
                                : sqlite.capability(((Class<?>) args[0]).asSubclass(StoreCapability.class));
                    }
                    calls.computeIfAbsent(method.getName(), name -> new AtomicInteger()).incrementAndGet();
                    try {
                        return method.invoke(sqlite, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        rows = (Consumers) store;
    }

    @AfterEach
    void close() {
        opened.forEach(ConsumerDirectory::close);
        sqlite.close();
    }

    private ConsumerDirectory directory(Path folder) {
        ConsumerDirectory directory = new ConsumerDirectory(store, new ConsumerRowMac(sealer::keyring),
                new ConsumerRowUpgrade(folder), Clock.systemUTC(), Duration.ZERO);
        opened.add(directory);
        return directory.start(Duration.ofMillis(200));
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
}
