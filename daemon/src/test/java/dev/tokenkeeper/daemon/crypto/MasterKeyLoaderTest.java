package dev.tokenkeeper.daemon.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.SecretMaterial;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterKeyLoaderTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    /** Cheap Argon2id costs so passphrase tests stay fast; one test pins the real ones. */
    private static final PassphraseKdf CHEAP = new PassphraseKdf(256, 1, 1);
    private static final String PASSPHRASE = "correct horse battery staple";

    @TempDir
    Path temp;

    private Path state;
    private final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void setUp() {
        state = temp.resolve("state");
    }

    private Function<String, Optional<String>> settings() {
        Map<String, String> copy = new HashMap<>(env);
        return name -> Optional.ofNullable(copy.get(name));
    }

    private LoadedKey load() throws KeyConfigurationException {
        return MasterKeyLoader.load(settings(), state, CHEAP);
    }

    private KeyConfigurationException loadFails() {
        return assertThrows(KeyConfigurationException.class, this::load);
    }

    private static byte[] randomKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    private static Path write(Path file, byte[] content, String mode) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    private static String mode(Path file) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    @Test
    void sourcesAreTriedInTheDocumentedOrder() throws Exception {
        byte[] fileKey = randomKey();
        byte[] credentialKey = randomKey();
        byte[] envKey = randomKey();
        Path keyFile = write(temp.resolve("etc/master.key"), fileKey, "rw-------");
        Path credentials = temp.resolve("credentials");
        write(credentials.resolve("master-key"), credentialKey, "r--------");
        env.put(MasterKeyLoader.MASTER_KEY_FILE, keyFile.toString());
        env.put(MasterKeyLoader.CREDENTIALS_DIRECTORY, credentials.toString());
        env.put(MasterKeyLoader.MASTER_KEY, HexFormat.of().formatHex(envKey));
        env.put(MasterKeyLoader.PASSPHRASE, PASSPHRASE);
        env.put(MasterKeyLoader.KDF_SALT, Base64.getEncoder().encodeToString(new byte[16]));

        LoadedKey loaded = load();
        assertEquals(MasterKey.of(fileKey), loaded.keyring().current());
        assertEquals("file " + keyFile + " (TOKENKEEPER_MASTER_KEY_FILE)", loaded.source());
        assertFalse(loaded.generated());

        env.remove(MasterKeyLoader.MASTER_KEY_FILE);
        loaded = load();
        assertEquals(MasterKey.of(credentialKey), loaded.keyring().current());
        assertEquals("systemd credential " + credentials.resolve("master-key"), loaded.source());

        env.remove(MasterKeyLoader.CREDENTIALS_DIRECTORY);
        loaded = load();
        assertEquals(MasterKey.of(envKey), loaded.keyring().current());
        assertEquals("environment (TOKENKEEPER_MASTER_KEY)", loaded.source());

        env.remove(MasterKeyLoader.MASTER_KEY);
        loaded = load();
        assertEquals(CHEAP.derive(PASSPHRASE, new byte[16]), loaded.keyring().current());
        assertTrue(loaded.source().startsWith("passphrase (VINTED_CREDENTIALS_SECRET, argon2id"), loaded.source());
        assertTrue(loaded.source().contains("salt from TOKENKEEPER_KDF_SALT"), loaded.source());

        env.remove(MasterKeyLoader.PASSPHRASE);
        loaded = load();
        assertTrue(loaded.generated());
        assertEquals("generated " + state.resolve("master.key"), loaded.source());
        // Nothing was written to the state folder before the generated key was needed.
        try (Stream<Path> files = Files.list(state)) {
            assertEquals(List.of(state.resolve("master.key")), files.toList());
        }
    }

    @Test
    void credentialsDirectoryWithoutAMasterKeyFallsThrough() throws Exception {
        byte[] envKey = randomKey();
        Files.createDirectories(temp.resolve("credentials"));
        env.put(MasterKeyLoader.CREDENTIALS_DIRECTORY, temp.resolve("credentials").toString());
        env.put(MasterKeyLoader.MASTER_KEY, Base64.getEncoder().encodeToString(envKey));
        assertEquals(MasterKey.of(envKey), load().keyring().current());
    }

    @Test
    void blankSettingsCountAsUnset() throws Exception {
        env.put(MasterKeyLoader.MASTER_KEY_FILE, "  ");
        env.put(MasterKeyLoader.MASTER_KEY, "");
        env.put(MasterKeyLoader.PASSPHRASE, "");
        assertTrue(load().source().startsWith("generated "));
    }

    @Test
    void configuredKeyFileThatIsMissingIsAnErrorNotAFallback() {
        Path missing = temp.resolve("nope.key");
        env.put(MasterKeyLoader.MASTER_KEY_FILE, missing.toString());
        KeyConfigurationException e = loadFails();
        assertEquals("TOKENKEEPER_MASTER_KEY_FILE points to " + missing + ", which does not exist: create one with"
                + " `head -c 32 /dev/urandom > " + missing + " && chmod 600 " + missing + "`, or unset TOKENKEEPER_MASTER_KEY_FILE",
                e.getMessage());
        assertFalse(Files.exists(state), "no key was generated instead");
    }

    @Test
    void rawHexAndBase64KeyFilesGiveTheSameKey() throws Exception {
        byte[] key = randomKey();
        String hex = HexFormat.of().formatHex(key);
        Map<String, byte[]> formats = Map.of(
                "raw", key,
                "hex", (hex + "\n").getBytes(StandardCharsets.US_ASCII),
                "HEX", ("  " + hex.toUpperCase() + "\r\n").getBytes(StandardCharsets.US_ASCII),
                "base64", (Base64.getEncoder().encodeToString(key) + "\n").getBytes(StandardCharsets.US_ASCII),
                "base64url", Base64.getUrlEncoder().withoutPadding().encodeToString(key).getBytes(StandardCharsets.US_ASCII));
        for (Map.Entry<String, byte[]> format : formats.entrySet()) {
            Path file = write(temp.resolve(format.getKey() + ".key"), format.getValue(), "rw-------");
            env.put(MasterKeyLoader.MASTER_KEY_FILE, file.toString());
            assertEquals(MasterKey.of(key), load().keyring().current(), format.getKey());
        }
        env.clear();
        env.put(MasterKeyLoader.MASTER_KEY, Base64.getEncoder().encodeToString(key));
        assertEquals(MasterKey.of(key), load().keyring().current());
        env.put(MasterKeyLoader.MASTER_KEY, hex);
        assertEquals(MasterKey.of(key), load().keyring().current());
    }

    @Test
    void badKeyFilesAreRefusedWithTheAcceptedFormats() throws Exception {
        String hex = HexFormat.of().formatHex(randomKey());
        Map<String, byte[]> bad = Map.of(
                "short", new byte[31],
                "long", new byte[33],
                "empty", new byte[0],
                "hex63", hex.substring(1).getBytes(StandardCharsets.US_ASCII),
                "nothex", ("zz" + hex.substring(2)).getBytes(StandardCharsets.US_ASCII),
                "base64-31", Base64.getEncoder().encodeToString(new byte[31]).getBytes(StandardCharsets.US_ASCII),
                "text", "my secret key\n".getBytes(StandardCharsets.US_ASCII));
        for (Map.Entry<String, byte[]> entry : bad.entrySet()) {
            Path file = write(temp.resolve(entry.getKey() + ".key"), entry.getValue(), "rw-------");
            env.put(MasterKeyLoader.MASTER_KEY_FILE, file.toString());
            KeyConfigurationException e = loadFails();
            assertEquals("master key file " + file + " does not hold a key: expected exactly 32 raw bytes, 64 hex characters"
                    + " or Base64 of 32 bytes; create one with `head -c 32 /dev/urandom > " + file + " && chmod 600 " + file + "`",
                    e.getMessage(), entry.getKey());
        }
        Path huge = write(temp.resolve("huge.key"), new byte[5000], "rw-------");
        env.put(MasterKeyLoader.MASTER_KEY_FILE, huge.toString());
        assertTrue(loadFails().getMessage().contains("5000 bytes, too large for a key"));
        env.put(MasterKeyLoader.MASTER_KEY_FILE, temp.toString());
        assertTrue(loadFails().getMessage().contains("is not a regular file"));
    }

    @Test
    void badKeyInTheEnvironmentIsRefused() {
        env.put(MasterKeyLoader.MASTER_KEY, "not-a-key");
        assertEquals("TOKENKEEPER_MASTER_KEY is not 64 hex characters or the Base64 of 32 bytes: generate a key with"
                + " `openssl rand -hex 32`", loadFails().getMessage());
    }

    @Test
    void keyFileReadableByOthersIsRefusedWithTheChmodHint() throws Exception {
        Path file = write(temp.resolve("master.key"), randomKey(), "rw-r--r--");
        env.put(MasterKeyLoader.MASTER_KEY_FILE, file.toString());
        assertEquals("master key file " + file + " is readable by others (mode 0644): run `chmod 600 " + file + "`",
                loadFails().getMessage());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        assertTrue(loadFails().getMessage().contains("(mode 0640)"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-----w-"));
        assertTrue(loadFails().getMessage().contains("is writable by others (mode 0602)"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
        load();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        load();
    }

    @Test
    void systemdCredentialsAreRefusedOnlyForOthers() throws Exception {
        Path credentials = temp.resolve("credentials");
        Path file = write(credentials.resolve("master-key"), randomKey(), "r--r-----");
        env.put(MasterKeyLoader.CREDENTIALS_DIRECTORY, credentials.toString());
        assertEquals("systemd credential " + file, load().source());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
        assertEquals("systemd credential " + file + " is readable by others (mode 0444): run `chmod o-rwx " + file + "`",
                loadFails().getMessage());
    }

    @Test
    void generatedKeyIsPrivateAndReused() throws Exception {
        Path nested = temp.resolve("a/b/state");
        LoadedKey first = MasterKeyLoader.load(settings(), nested);
        Path file = nested.resolve("master.key");
        assertTrue(first.generated());
        assertEquals("generated " + file, first.source());
        assertEquals("rw-------", mode(file));
        assertEquals("rwx------", mode(nested));
        assertEquals(32, Files.size(file));
        assertEquals(MasterKey.of(Files.readAllBytes(file)), first.keyring().current());

        LoadedKey second = MasterKeyLoader.load(settings(), nested);
        assertFalse(second.generated());
        assertEquals("file " + file, second.source());
        assertEquals(first.keyring().current(), second.keyring().current());
        try (Stream<Path> files = Files.list(nested)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void generatedKeyFileWithLoosePermissionsIsRefused() throws Exception {
        load();
        Path file = state.resolve("master.key");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertEquals("master key file " + file + " is readable by others (mode 0666): run `chmod 600 " + file + "`",
                loadFails().getMessage());
    }

    @Test
    void generatedKeyThatIsDamagedIsNotReplaced() throws Exception {
        write(state.resolve("master.key"), new byte[5], "rw-------");
        assertTrue(loadFails().getMessage().contains("does not hold a key"));
        assertEquals(5, Files.size(state.resolve("master.key")));
    }

    @Test
    void concurrentFirstRunsAgreeOnOneKey() throws Exception {
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<LoadedKey>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return MasterKeyLoader.load(settings(), state);
                }));
            }
            start.countDown();
            List<LoadedKey> loaded = new ArrayList<>();
            for (Future<LoadedKey> result : results) {
                loaded.add(result.get(30, TimeUnit.SECONDS));
            }
            MasterKey onDisk = MasterKey.of(Files.readAllBytes(state.resolve("master.key")));
            loaded.forEach(key -> assertEquals(onDisk, key.keyring().current()));
            assertEquals(1, loaded.stream().filter(LoadedKey::generated).count(), "exactly one run generated the key");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void passphraseGivesTheSameKeyForTheSameSaltOnly() throws Exception {
        env.put(MasterKeyLoader.PASSPHRASE, PASSPHRASE);
        env.put(MasterKeyLoader.KDF_SALT, Base64.getEncoder().encodeToString("sixteen byte salt".getBytes(StandardCharsets.US_ASCII)));
        MasterKey first = load().keyring().current();
        assertEquals(first, load().keyring().current());
        env.put(MasterKeyLoader.KDF_SALT, Base64.getEncoder().encodeToString("another salt, 16+".getBytes(StandardCharsets.US_ASCII)));
        assertNotEquals(first, load().keyring().current());
        env.put(MasterKeyLoader.KDF_SALT, Base64.getEncoder().encodeToString("sixteen byte salt".getBytes(StandardCharsets.US_ASCII)));
        env.put(MasterKeyLoader.PASSPHRASE, PASSPHRASE + "!");
        assertNotEquals(first, load().keyring().current());
        assertFalse(Files.exists(state), "a configured salt writes nothing");
    }

    @Test
    void passphraseWithoutSaltSettingUsesAGeneratedSaltFile() throws Exception {
        env.put(MasterKeyLoader.PASSPHRASE, PASSPHRASE);
        LoadedKey first = load();
        Path saltFile = state.resolve("kdf-salt");
        assertTrue(first.generated());
        assertTrue(first.source().endsWith("new salt file " + saltFile + ")"), first.source());
        assertEquals("rw-------", mode(saltFile));
        byte[] salt = Files.readAllBytes(saltFile);
        assertEquals(16, salt.length);
        assertEquals(CHEAP.derive(PASSPHRASE, salt), first.keyring().current());

        LoadedKey second = load();
        assertFalse(second.generated());
        assertTrue(second.source().endsWith("salt file " + saltFile + ")"), second.source());
        assertEquals(first.keyring().current(), second.keyring().current());

        // Another state folder gets another salt, hence another key: shared stores must share the salt.
        MasterKey elsewhere = MasterKeyLoader.load(settings(), temp.resolve("other"), CHEAP).keyring().current();
        assertNotEquals(first.keyring().current(), elsewhere);
    }

    @Test
    void realKdfParametersArePinned() throws Exception {
        // Changing these costs would silently change every passphrase-derived key.
        assertEquals(new PassphraseKdf(65536, 3, 1), PassphraseKdf.DEFAULT);
        env.put(MasterKeyLoader.PASSPHRASE, PASSPHRASE);
        env.put(MasterKeyLoader.KDF_SALT, Base64.getEncoder().encodeToString(new byte[16]));
        long started = System.nanoTime();
        LoadedKey loaded = MasterKeyLoader.load(settings(), state);
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertEquals("passphrase (VINTED_CREDENTIALS_SECRET, argon2id m=65536KiB t=3 p=1, salt from TOKENKEEPER_KDF_SALT)",
                loaded.source());
        assertEquals(PassphraseKdf.DEFAULT.derive(PASSPHRASE, new byte[16]), loaded.keyring().current());
        assertNotEquals(CHEAP.derive(PASSPHRASE, new byte[16]), loaded.keyring().current());
        // A bound a loaded 2-core machine meets (about 1 s when idle); it still catches a runaway cost.
        assertTrue(millis < 20_000, "argon2id took " + millis + " ms");
    }

    @Test
    void shortPassphraseIsRefused() throws Exception {
        env.put(MasterKeyLoader.PASSPHRASE, "elevenchars");
        assertEquals("VINTED_CREDENTIALS_SECRET is too short: use at least 12 characters, for example from"
                + " `openssl rand -base64 24`", loadFails().getMessage());
        // Characters, not UTF-16 units: eleven emoji are still eleven characters.
        env.put(MasterKeyLoader.PASSPHRASE, "😀".repeat(11));
        loadFails();
        env.put(MasterKeyLoader.PASSPHRASE, "twelve chars");
        load();
    }

    @Test
    void badSaltSettingIsRefused() {
        env.put(MasterKeyLoader.PASSPHRASE, PASSPHRASE);
        env.put(MasterKeyLoader.KDF_SALT, "%%%");
        assertTrue(loadFails().getMessage().startsWith("TOKENKEEPER_KDF_SALT is not valid Base64"));
        env.put(MasterKeyLoader.KDF_SALT, Base64.getEncoder().encodeToString(new byte[8]));
        assertTrue(loadFails().getMessage().startsWith("TOKENKEEPER_KDF_SALT decodes to 8 bytes, fewer than 16"));
    }

    @Test
    void aSaltSettingNeedsSixteenBytes() throws Exception {
        env.put(MasterKeyLoader.PASSPHRASE, PASSPHRASE);
        env.put(MasterKeyLoader.KDF_SALT, Base64.getEncoder().encodeToString(new byte[15]));
        assertEquals("TOKENKEEPER_KDF_SALT decodes to 15 bytes, fewer than 16: generate a salt with `openssl rand -base64 16`",
                loadFails().getMessage());
        env.put(MasterKeyLoader.KDF_SALT, " " + Base64.getEncoder().encodeToString(new byte[16]) + "\n");
        assertEquals(CHEAP.derive(PASSPHRASE, new byte[16]), load().keyring().current());
    }

    @Test
    void aSaltFileOf16To64BytesIsUsedAndAnyOtherLengthIsRefused() throws Exception {
        env.put(MasterKeyLoader.PASSPHRASE, PASSPHRASE);
        Path saltFile = state.resolve(MasterKeyLoader.SALT_FILE);
        for (int length : new int[] {16, 64}) {
            byte[] salt = new byte[length];
            RANDOM.nextBytes(salt);
            write(saltFile, salt, "rw-------");
            LoadedKey loaded = load();
            assertEquals(CHEAP.derive(PASSPHRASE, salt), loaded.keyring().current(), length + " bytes");
            assertFalse(loaded.generated(), "an existing salt file is not new");
        }
        for (int length : new int[] {15, 65}) {
            write(saltFile, new byte[length], "rw-------");
            assertEquals("KDF salt file " + saltFile + " holds " + length + " bytes, expected 16 to 64: restore it from a"
                    + " backup (without it the passphrase gives another key), or delete it only if no secret was sealed yet",
                    loadFails().getMessage());
        }
    }

    @Test
    void retiredKeyFilesAreReadable() throws Exception {
        byte[] current = randomKey();
        byte[] older = randomKey();
        byte[] oldest = randomKey();
        write(state.resolve("keys/retired-1.key"), older, "rw-------");
        write(state.resolve("keys/retired-0.key"), HexFormat.of().formatHex(oldest).getBytes(StandardCharsets.US_ASCII), "r--------");
        write(state.resolve("keys/unrelated.txt"), new byte[3], "rw-r--r--");
        env.put(MasterKeyLoader.MASTER_KEY, HexFormat.of().formatHex(current));
        Keyring ring = load().keyring();
        assertEquals(MasterKey.of(current), ring.current());
        assertEquals(List.of(MasterKey.of(oldest), MasterKey.of(older)), ring.retired());

        Files.setPosixFilePermissions(state.resolve("keys/retired-1.key"), PosixFilePermissions.fromString("rw-r--r--"));
        assertTrue(loadFails().getMessage().startsWith("retired key file " + state.resolve("keys/retired-1.key")
                + " is readable by others"));
    }

    @Test
    void anEarlierGeneratedKeyStaysReadableAfterConfiguringAnother() throws Exception {
        CredentialId id = CredentialId.parse("vinted:default");
        SecretMaterial cookies = new SecretMaterial(Map.of("access_token_web", "eyJ-cookie"));
        LoadedKey generated = load();
        SealedSecret sealed = new SecretSealer(generated.keyring()).seal(id, cookies);

        env.put(MasterKeyLoader.MASTER_KEY, HexFormat.of().formatHex(randomKey()));
        LoadedKey configured = load();
        assertEquals(List.of(generated.keyring().current()), configured.keyring().retired());
        assertEquals(cookies, new SecretSealer(configured.keyring()).open(id, sealed));
    }

    @Test
    void rotatingTheGeneratedKeyKeepsTheOldOneReadable() throws Exception {
        CredentialId id = CredentialId.parse("gazelle:default");
        SecretMaterial tokens = new SecretMaterial(Map.of("refresh_token", "rt-1"));
        LoadedKey before = load();
        SealedSecret sealed = new SecretSealer(before.keyring()).seal(id, tokens);

        MasterKey next = MasterKeyLoader.rotateGeneratedKey(settings(), state);
        Path retired = state.resolve("keys/retired-" + before.keyring().current().id() + ".key");
        assertEquals("rw-------", mode(retired));
        assertEquals("rw-------", mode(state.resolve("master.key")));
        assertEquals("rwx------", mode(state.resolve("keys")));

        LoadedKey after = load();
        assertFalse(after.generated());
        assertEquals(next, after.keyring().current());
        assertEquals(List.of(before.keyring().current()), after.keyring().retired());
        assertEquals(before.keyring().rotateTo(next), after.keyring());
        SecretSealer sealer = new SecretSealer(after.keyring());
        assertEquals(tokens, sealer.open(id, sealed));
        assertEquals(next.id(), SecretSealer.keyIdOf(sealer.seal(id, tokens)));
        try (Stream<Path> files = Files.list(state)) {
            assertEquals(2, files.count(), "master.key and keys/, no temporary files");
        }
    }

    @Test
    void rotatingWithoutAGeneratedKeyIsRefused() {
        KeyConfigurationException e = assertThrows(KeyConfigurationException.class,
                () -> MasterKeyLoader.rotateGeneratedKey(settings(), state));
        assertTrue(e.getMessage().startsWith("there is no generated master key " + state.resolve("master.key")), e.getMessage());
    }

    @Test
    void rotatingAConfiguredKeyIsRefusedAndChangesNothing() throws Exception {
        LoadedKey generated = load();
        env.put(MasterKeyLoader.PASSPHRASE, PASSPHRASE);
        KeyConfigurationException e = assertThrows(KeyConfigurationException.class,
                () -> MasterKeyLoader.rotateGeneratedKey(settings(), state));
        assertEquals("the master key comes from the passphrase VINTED_CREDENTIALS_SECRET, which tokenkeeper cannot rewrite:"
                + " copy the old key into " + state.resolve("keys/retired-<name>.key")
                + " (mode 0600), configure a new key, restart, then re-seal", e.getMessage());
        env.clear();
        assertEquals(generated.keyring(), load().keyring());
        assertFalse(Files.exists(state.resolve("keys")));
    }

    @Test
    void rotatingIsRefusedForEveryConfiguredSourceAndNamesIt() throws Exception {
        load();
        Path credentials = temp.resolve("credentials");
        env.put(MasterKeyLoader.CREDENTIALS_DIRECTORY, credentials.toString());
        MasterKeyLoader.rotateGeneratedKey(settings(), state);
        assertTrue(Files.exists(state.resolve("keys")), "a credentials folder without the key is no configured key");
        write(credentials.resolve("master-key"), randomKey(), "r--------");
        Map<String, String> sources = new java.util.LinkedHashMap<>();
        sources.put(MasterKeyLoader.CREDENTIALS_DIRECTORY, "the systemd credential master-key");
        sources.put(MasterKeyLoader.MASTER_KEY, MasterKeyLoader.MASTER_KEY);
        sources.put(MasterKeyLoader.MASTER_KEY_FILE, MasterKeyLoader.MASTER_KEY_FILE);
        env.clear();
        for (Map.Entry<String, String> source : sources.entrySet()) {
            env.put(source.getKey(), source.getKey().equals(MasterKeyLoader.CREDENTIALS_DIRECTORY) ? credentials.toString()
                    : "00".repeat(32));
            KeyConfigurationException e = assertThrows(KeyConfigurationException.class,
                    () -> MasterKeyLoader.rotateGeneratedKey(settings(), state));
            assertTrue(e.getMessage().startsWith("the master key comes from " + source.getValue() + ", "), e.getMessage());
            env.clear();
        }
    }

    @Test
    void equalKeysHashAlike() {
        byte[] bytes = randomKey();
        assertEquals(MasterKey.of(bytes).hashCode(), MasterKey.of(bytes.clone()).hashCode());
        assertEquals(MasterKey.of(bytes).id().hashCode(), MasterKey.of(bytes).hashCode());
    }
}
