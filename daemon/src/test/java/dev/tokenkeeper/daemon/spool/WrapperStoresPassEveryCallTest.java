package dev.tokenkeeper.daemon.spool;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.PurgeResult;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A store that wraps another one must pass every {@link TokenStore} call on: a default method it
 * does not override would run the interface's default instead of the wrapped store's own code, and
 * silently drop what that store guarantees (a rekey's purge did so once).
 */
class WrapperStoresPassEveryCallTest {

    /** Every class of the daemon that implements {@link TokenStore}; each of them wraps the configured store. */
    private static final List<Class<? extends TokenStore>> WRAPPERS = List.of(SpooledStore.class);

    @TempDir
    Path state;

    @Test
    void everyWrapperDeclaresEveryTokenStoreMethodItself() {
        List<String> missing = new ArrayList<>();
        for (Class<? extends TokenStore> wrapper : WRAPPERS) {
            for (Method method : TokenStore.class.getMethods()) {
                if (Modifier.isStatic(method.getModifiers())) {
                    continue;
                }
                try {
                    Method own = wrapper.getDeclaredMethod(method.getName(), method.getParameterTypes());
                    if (own.isBridge() || own.isSynthetic()) {
                        missing.add(wrapper.getSimpleName() + "." + signature(method) + " (only a bridge)");
                    }
                } catch (NoSuchMethodException e) {
                    missing.add(wrapper.getSimpleName() + "." + signature(method));
                }
            }
        }
        assertEquals(List.of(), missing, "a wrapper store must override (and pass on) every TokenStore method,"
                + " default methods included");
    }

    @Test
    void theListOfWrappersHoldsEveryTokenStoreOfTheDaemon() throws Exception {
        Path classes = Path.of(SpooledStore.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.isDirectory(classes), "the daemon's classes are read from a folder: " + classes);
        List<Class<?>> stores = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = classes.relativize(file).toString().replace(file.getFileSystem().getSeparator(), ".")
                        .replaceFirst("\\.class$", "");
                if (name.endsWith("module-info") || name.endsWith("package-info")) {
                    continue;
                }
                Class<?> type = Class.forName(name, false, SpooledStore.class.getClassLoader());
                if (TokenStore.class.isAssignableFrom(type) && !type.isInterface()) {
                    stores.add(type);
                }
            }
        }
        assertEquals(List.copyOf(WRAPPERS), stores, "a new TokenStore in the daemon is a wrapper: add it to WRAPPERS");
    }

    @Test
    void aPurgeThroughTheSpooledStoreEmptiesTheSqliteWriteAheadLog() {
        TokenStore sqlite = ServiceLoader.load(TokenStore.class).stream().map(ServiceLoader.Provider::get)
                .filter(store -> store.id().equals("sqlite")).findFirst().orElseThrow();
        sqlite.open(context());
        SpooledStore store = new SpooledStore(sqlite, state.resolve("spool"), 3600);
        try {
            CredentialId id = CredentialId.parse("gazelle:default");
            Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
            assertTrue(store.insert(credential(id, 1, t0)));
            for (int version = 2; version <= 5; version++) {
                assertTrue(store.compareAndSet(credential(id, version, t0), version - 1));
            }
            Path wal = state.resolve("tokenkeeper.db-wal");
            assertTrue(size(wal) > 0, "the overwritten rows are in the write-ahead log first");

            PurgeResult purged = store.purgeOverwritten();

            assertInstanceOf(PurgeResult.Purged.class, purged, purged.summary());
            assertEquals(0, size(wal), "the write-ahead log is truncated");
            assertEquals(5, store.get(id).orElseThrow().version(), "the live row is kept");
        } finally {
            store.close();
        }
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static StoredCredential credential(CredentialId id, long version, Instant at) {
        byte[] sealed = new byte[64];
        Arrays.fill(sealed, (byte) version);
        return new StoredCredential(id, CredentialStatus.ACTIVE, SealedSecret.of(sealed), at,
                Optional.of(at.plusSeconds(60)), Optional.empty(), version, Optional.of(at), Optional.empty(), at);
    }

    private static String signature(Method method) {
        return method.getName() + Arrays.stream(method.getParameterTypes()).map(Class::getSimpleName)
                .toList().toString().replace('[', '(').replace(']', ')');
    }

    private PluginContext context() {
        return new PluginContext() {
            @Override
            public Optional<String> setting(String name) {
                return Optional.empty();
            }

            @Override
            public Path stateDirectory() {
                return state;
            }

            @Override
            public Clock clock() {
                return Clock.systemUTC();
            }
        };
    }
}
