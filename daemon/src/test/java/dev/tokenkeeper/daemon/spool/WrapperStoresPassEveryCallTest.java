package dev.tokenkeeper.daemon.spool;

import dev.tokenkeeper.daemon.refresh.EmbeddedStore;
import dev.tokenkeeper.api.ChangeListener;
import dev.tokenkeeper.api.AccountSecret;
import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.PurgeResult;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.Purge;
import dev.tokenkeeper.api.store.StoreCapability;
import dev.tokenkeeper.api.store.Tally;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A store that wraps another one must pass on every capability the wrapped store offers, and every
 * call of each: a capability it drops, or a method it answers itself (an inherited default, a
 * forgotten delegation), silently loses what the store guarantees (a rekey's purge was lost so
 * once). Every wrapper of the daemon (each {@link TokenStore} class in its main code) is built
 * around a recording store that offers every {@link StoreCapability} there is, and every method of
 * the core and of each capability is called through it.
 */
class WrapperStoresPassEveryCallTest {

    private static final CredentialId ID = CredentialId.parse("gazelle:default");
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path state;

    @Test
    void everyCallOfTheCoreAndOfEveryCapabilityReachesTheWrappedStore() throws Exception {
        List<String> lost = new ArrayList<>();
        int calls = 0;
        for (Class<?> wrapper : wrappers()) {
            for (Method method : methodsToPassOn()) {
                Recorder recorder = new Recorder(true);
                TokenStore store = build(wrapper, recorder.store());
                try {
                    Class<?> owner = method.getDeclaringClass();
                    Object target = store;
                    if (owner != TokenStore.class) {
                        Optional<?> capability = store.capability(owner.asSubclass(StoreCapability.class));
                        if (capability.isEmpty()) {
                            lost.add(wrapper.getSimpleName() + " offers no " + owner.getSimpleName()
                                    + " though the wrapped store does");
                            continue;
                        }
                        target = capability.get();
                    }
                    invoke(method, target);
                    calls++;
                    if (!recorder.saw(method)) {
                        lost.add(wrapper.getSimpleName() + ": " + signature(method) + " did not reach the wrapped store");
                    }
                } finally {
                    store.close();
                }
            }
        }
        assertEquals(List.of(), lost, "a wrapper store must pass on every capability and every call of each");
        assertTrue(calls > 20, "the core and the capabilities were called through the wrappers: " + calls);
    }

    @Test
    void aWrapperOffersNoCapabilityTheWrappedStoreLacks() throws Exception {
        List<String> claimed = new ArrayList<>();
        for (Class<?> wrapper : wrappers()) {
            TokenStore store = build(wrapper, new Recorder(false).store());
            try {
                for (Class<?> capability : StoreCapability.class.getPermittedSubclasses()) {
                    if (store.capability(capability.asSubclass(StoreCapability.class)).isPresent()) {
                        claimed.add(wrapper.getSimpleName() + " offers " + capability.getSimpleName());
                    }
                }
            } finally {
                store.close();
            }
        }
        assertEquals(List.of(), claimed, "around a store with no capabilities, a wrapper has none either"
                + " (the daemon then does without, as each capability says)");
    }

    @Test
    void theDaemonsWrappersAreFoundAndEveryCapabilityIsCalled() throws Exception {
        assertEquals(List.of(SpooledStore.class), wrappers(), "the daemon's TokenStore classes, found in its classes");
        assertEquals(9, StoreCapability.class.getPermittedSubclasses().length, "the capabilities the test calls");
        assertTrue(methodsToPassOn().stream().anyMatch(method -> method.getName().equals("purgeOverwritten")));
    }

    @Test
    void aPurgeThroughTheSpooledStoreEmptiesTheSqliteWriteAheadLog() {
        TokenStore sqlite = EmbeddedStore.found();
        sqlite.open(context());
        SpooledStore store = new SpooledStore(sqlite, state.resolve("spool"), 3600, Clock.systemUTC());
        try {
            assertTrue(store.insert(credential(1)));
            for (int version = 2; version <= 5; version++) {
                assertTrue(store.compareAndSet(credential(version), version - 1));
            }
            Path wal = state.resolve("tokenkeeper.db-wal");
            assertTrue(size(wal) > 0, "the overwritten rows are in the write-ahead log first");

            PurgeResult purged = store.capability(Purge.class).orElseThrow().purgeOverwritten();

            assertInstanceOf(PurgeResult.Purged.class, purged, purged.summary());
            assertEquals(0, size(wal), "the write-ahead log is truncated");
            assertEquals(5, store.get(ID).orElseThrow().version(), "the live row is kept");
        } finally {
            store.close();
        }
    }

    /** @return the core's methods (but {@code capability}, asked for each capability, and {@code close}, run after each call) and every capability's */
    private static List<Method> methodsToPassOn() {
        List<Method> methods = new ArrayList<>();
        Stream.concat(Stream.of(TokenStore.class), Arrays.stream(StoreCapability.class.getPermittedSubclasses()))
                .forEach(type -> Arrays.stream(type.getMethods())
                        .filter(method -> !Modifier.isStatic(method.getModifiers()))
                        .filter(method -> method.getDeclaringClass() != AutoCloseable.class)
                        .filter(method -> !Set.of("capability", "close").contains(method.getName())
                                || method.getDeclaringClass() != TokenStore.class)
                        .sorted(Comparator.comparing(WrapperStoresPassEveryCallTest::signature))
                        .forEach(methods::add));
        return methods;
    }

    /** @return every class of the daemon's main code that implements {@link TokenStore}: each wraps the configured store */
    private static List<Class<?>> wrappers() throws Exception {
        Path classes = Path.of(SpooledStore.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.isDirectory(classes), "the daemon's classes are read from a folder: " + classes);
        List<Class<?>> stores = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
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
        return stores;
    }

    /** Builds a wrapper with its public constructor that takes the wrapped store first. */
    private TokenStore build(Class<?> wrapper, TokenStore inner) throws Exception {
        for (Constructor<?> constructor : wrapper.getConstructors()) {
            Class<?>[] types = constructor.getParameterTypes();
            if (types.length > 0 && types[0] == TokenStore.class) {
                Object[] args = new Object[types.length];
                args[0] = inner;
                for (int i = 1; i < types.length; i++) {
                    args[i] = sample(types[i], wrapper.getSimpleName() + "'s constructor");
                }
                return (TokenStore) constructor.newInstance(args);
            }
        }
        throw new AssertionError(wrapper.getName() + " has no public constructor taking the TokenStore it wraps first:"
                + " give it one, or teach this test how to build it");
    }

    private void invoke(Method method, Object target) throws Exception {
        Object[] args = Arrays.stream(method.getParameterTypes())
                .map(type -> sample(type, signature(method))).toArray();
        try {
            method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw new AssertionError(signature(method) + " failed through the wrapper: " + e.getCause(), e.getCause());
        }
    }

    /** A value for a parameter of a wrapper's constructor or a store method. */
    private Object sample(Class<?> type, String where) {
        if (type == CredentialId.class) {
            return ID;
        } else if (type == String.class) {
            return "daemon-a";
        } else if (type == Instant.class) {
            return T0.plusSeconds(60);
        } else if (type == long.class) {
            return 1L; // the expected version of a compare-and-set; seconds for a wrapper's retry
        } else if (type == int.class) {
            return 10;
        } else if (type == boolean.class) {
            return false;
        } else if (type == Optional.class) {
            return Optional.of(T0.plusSeconds(120)); // a next due time
        } else if (type == StoredCredential.class) {
            return credential(2);
        } else if (type == RefreshEvent.class) {
            return new RefreshEvent(ID, T0, RefreshOutcome.REFRESHED, "", Duration.ZERO, 2);
        } else if (type == Consumer.class) {
            return new Consumer("analysis", "a".repeat(64), List.of(ID), T0);
        } else if (type == AccountSecret.class) {
            return new AccountSecret(ID, "cookiecloud", "a".repeat(64), SealedSecret.of(new byte[] {1}), T0, Optional.empty());
        } else if (type == ChangeListener.class) {
            return (ChangeListener) change -> { };
        } else if (type == Function.class) {
            return (Function<Object, Optional<?>>) value -> Optional.empty();
        } else if (type == PluginContext.class) {
            return context();
        } else if (type == Clock.class) {
            return Clock.systemUTC();
        } else if (type == Duration.class) {
            return Duration.ofMinutes(15); // how long a wrapper keeps other daemons' notices
        } else if (type == Optional.class) {
            return Optional.of(ID); // the page of credentials after this one
        } else if (type == Path.class) {
            return state.resolve("wrapper-" + System.nanoTime());
        } else if (type == java.util.Collection.class) {
            return List.of(ID); // a page of credentials whose due times are read
        }
        throw new AssertionError("no sample value of " + type.getName() + " for " + where + ": add one to this test");
    }

    /** A store that offers every capability (or none) and records every call it gets. */
    private static final class Recorder {
        private final boolean offersAll;
        private final Set<String> seen = ConcurrentHashMap.newKeySet();
        private final TokenStore store;

        Recorder(boolean offersAll) {
            this.offersAll = offersAll;
            List<Class<?>> types = new ArrayList<>(List.of(TokenStore.class));
            types.addAll(List.of(StoreCapability.class.getPermittedSubclasses()));
            this.store = (TokenStore) Proxy.newProxyInstance(getClass().getClassLoader(), types.toArray(Class<?>[]::new),
                    (proxy, method, args) -> answer(proxy, method, args));
        }

        TokenStore store() {
            return store;
        }

        boolean saw(Method method) {
            return seen.contains(signature(method));
        }

        private Object answer(Object proxy, Method method, Object[] args) {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> "Recorder";
                };
            }
            seen.add(signature(method));
            Class<?> returns = method.getReturnType();
            if (method.getName().equals("capability")) {
                return offersAll ? Optional.of(proxy) : Optional.empty();
            } else if (returns == boolean.class) {
                return true;
            } else if (returns == void.class) {
                return null;
            } else if (returns == Optional.class) {
                return Optional.empty();
            } else if (returns == List.class) {
                return List.of();
            } else if (returns == java.util.Map.class) {
                return java.util.Map.of();
            } else if (returns == String.class) {
                return "recorded";
            } else if (returns == PurgeResult.class) {
                return new PurgeResult.NothingToPurge("recorded");
            } else if (returns == Tally.Counts.class) {
                return new Tally.Counts(java.util.Map.of(), Optional.empty());
            }
            throw new AssertionError("the recording store has no answer of type " + returns.getName() + " for "
                    + signature(method) + ": add one to this test");
        }
    }

    private static String signature(Method method) {
        return method.getDeclaringClass().getSimpleName() + "." + method.getName() + Arrays.stream(method.getParameterTypes())
                .map(Class::getSimpleName).toList().toString().replace('[', '(').replace(']', ')');
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static StoredCredential credential(long version) {
        byte[] sealed = new byte[64];
        Arrays.fill(sealed, (byte) version);
        return new StoredCredential(ID, CredentialStatus.ACTIVE, SealedSecret.of(sealed), T0,
                Optional.of(T0.plusSeconds(60)), Optional.empty(), version, Optional.of(T0), Optional.empty(), T0);
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
