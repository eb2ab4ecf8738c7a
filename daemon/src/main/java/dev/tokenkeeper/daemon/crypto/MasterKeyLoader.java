package dev.tokenkeeper.daemon.crypto;

import dev.tokenkeeper.daemon.config.OriginalSettings;
import dev.tokenkeeper.daemon.crypto.KeyFiles.Exposure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Finds the master key, in this order (the first source that is configured wins):
 * <ol>
 *   <li>{@value #MASTER_KEY_FILE}: a key file the user manages;</li>
 *   <li>{@code $CREDENTIALS_DIRECTORY/master-key}: a systemd credential ({@code LoadCredential=}),
 *       used when that file exists;</li>
 *   <li>{@value #MASTER_KEY}: the key itself, 64 hex characters or the Base64 of 32 bytes;</li>
 *   <li>{@value #PASSPHRASE}: a passphrase of at least 12 characters, stretched with Argon2id
 *       (64 MiB, 3 passes, 1 lane) and a salt from {@value #KDF_SALT} (Base64, at least 16 bytes)
 *       or else from {@code <state>/kdf-salt} (16 random bytes generated with mode 0600 on first
 *       use). <b>Daemons that share one store with a passphrase must share the salt too</b>: set
 *       the same {@value #KDF_SALT} on each of them, or they derive different keys;</li>
 *   <li>otherwise {@code <state>/master.key}, generated on the first run (32 random bytes, mode
 *       0600, state folder created 0700 if missing) and reused afterwards. Back it up: secrets
 *       sealed with it cannot be read without it.</li>
 * </ol>
 *
 * <p>A key file holds exactly 32 raw bytes, or text that (trimmed) is 64 hex characters or the
 * Base64 of 32 bytes. Key files the user manages are refused when group or others may read or
 * write them. For systemd credentials only the bits for others are refused: systemd picks their
 * mode and group (it may give the unit's group read access) and keeps them in a folder only the
 * unit can enter, so group bits there are not something the user should "fix".
 *
 * <p>Retired keys, still used to open secrets sealed before a key change: every
 * {@code <state>/keys/retired-*.key} file, and {@code <state>/master.key} when it exists but
 * another source provides the current key (so switching from a generated key to a configured
 * one does not strand secrets; {@code tokenkeeper rekey} then re-seals them with the new key).
 *
 * <p>Empty or blank settings count as unset.
 */
public final class MasterKeyLoader {

    /** Setting: path of a master key file. */
    public static final String MASTER_KEY_FILE = "TOKENKEEPER_MASTER_KEY_FILE";
    /** Setting set by systemd: folder of the unit's credentials. */
    public static final String CREDENTIALS_DIRECTORY = "CREDENTIALS_DIRECTORY";
    /** Name of the master key credential inside {@link #CREDENTIALS_DIRECTORY}. */
    public static final String CREDENTIAL_NAME = "master-key";
    /** Setting: the master key itself, hex or Base64. */
    public static final String MASTER_KEY = "TOKENKEEPER_MASTER_KEY";
    /** Setting: passphrase stretched into the master key. */
    public static final String PASSPHRASE = OriginalSettings.PASSPHRASE;
    /** Setting: Base64 salt for the passphrase KDF. */
    public static final String KDF_SALT = "TOKENKEEPER_KDF_SALT";
    /** Generated key file name in the state folder. */
    public static final String GENERATED_KEY_FILE = "master.key";
    /** Generated salt file name in the state folder. */
    public static final String SALT_FILE = "kdf-salt";
    /** Folder of retired key files in the state folder. */
    public static final String RETIRED_KEYS_FOLDER = "keys";
    /** Ids of keys a rekey destroyed, one a line, in the keys folder: never loaded again. */
    public static final String DESTROYED_KEY_IDS = "destroyed-key-ids";

    private static final int GENERATED_SALT_LENGTH = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private MasterKeyLoader() {
    }

    /**
     * Loads the keyring, generating the key (or the KDF salt) on first use.
     *
     * @param settings       looks up a setting (environment variable) by name
     * @param stateDirectory the daemon's state folder; created only when something must be
     *                       generated in it
     * @return the keyring, where the current key came from, and whether it was just generated
     * @throws KeyConfigurationException when a configured source is missing, malformed or
     *                                   exposed; the message names the file or setting and how to
     *                                   fix it, never a key or passphrase
     */
    public static LoadedKey load(Function<String, Optional<String>> settings, Path stateDirectory)
            throws KeyConfigurationException {
        return load(settings, stateDirectory, PassphraseKdf.DEFAULT);
    }

    /** {@link #load(Function, Path)} with other KDF costs (tests use cheaper ones). */
    static LoadedKey load(Function<String, Optional<String>> settings, Path stateDirectory, PassphraseKdf kdf)
            throws KeyConfigurationException {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        Path generatedKey = stateDirectory.resolve(GENERATED_KEY_FILE);
        Current current = current(settings, stateDirectory, kdf);
        List<MasterKey> retired = new ArrayList<>(retiredKeys(stateDirectory));
        if (!current.fromStateFile && Files.exists(generatedKey)) {
            retired.add(0, KeyFiles.readKeyFile(generatedKey, "earlier generated master key file", Exposure.GROUP_OR_OTHERS));
        }
        return new LoadedKey(new Keyring(current.key, retired), current.source, current.generated);
    }

    /**
     * Replaces the generated key {@code <state>/master.key} with a new random one, first keeping
     * the old one as {@code <state>/keys/retired-<id>.key} so secrets sealed with it still open.
     * Refused when the key comes from a configured source (file, systemd credential, environment,
     * passphrase), which tokenkeeper cannot rewrite: there the user copies the old key into
     * {@code <state>/keys/retired-<name>.key}, configures a new one and restarts. A crash part-way
     * leaves both keys readable.
     *
     * @param settings       the same settings {@link #load} was given
     * @param stateDirectory the daemon's state folder
     * @return the new key; pass it to {@link Keyring#rotateTo} and re-seal every secret
     * @throws KeyConfigurationException when the key is configured rather than generated, there is
     *                                   no generated key, or a file cannot be written
     */
    public static MasterKey rotateGeneratedKey(Function<String, Optional<String>> settings, Path stateDirectory)
            throws KeyConfigurationException {
        Optional<String> configured = configuredSource(settings);
        if (configured.isPresent()) {
            throw new KeyConfigurationException("the master key comes from " + configured.get()
                    + ", which tokenkeeper cannot rewrite: copy the old key into "
                    + stateDirectory.resolve(RETIRED_KEYS_FOLDER).resolve("retired-<name>.key")
                    + " (mode 0600), configure a new key, restart, then re-seal");
        }
        Path keyFile = stateDirectory.resolve(GENERATED_KEY_FILE);
        if (!Files.exists(keyFile)) {
            throw new KeyConfigurationException("there is no generated master key " + keyFile
                    + " to rotate: start the daemon once to generate it");
        }
        MasterKey old = KeyFiles.readKeyFile(keyFile, "master key file", Exposure.GROUP_OR_OTHERS);
        Path keys = stateDirectory.resolve(RETIRED_KEYS_FOLDER);
        Path retiredFile = keys.resolve("retired-" + old.id() + ".key");
        MasterKey next = MasterKey.generate(RANDOM);
        byte[] oldBytes = old.bytes();
        byte[] nextBytes = next.bytes();
        try {
            KeyFiles.createPrivateDirectories(keys);
            KeyFiles.writePrivateFileIfAbsent(retiredFile, oldBytes);
            // Refuse to drop the old key unless its retired copy really holds it.
            if (!KeyFiles.readKeyFile(retiredFile, "retired key file", Exposure.GROUP_OR_OTHERS).equals(old)) {
                throw new KeyConfigurationException("retired key file " + retiredFile
                        + " exists but holds another key: move it away and run the rotation again");
            }
            KeyFiles.replacePrivateFile(keyFile, nextBytes);
            return next;
        } catch (IOException e) {
            throw new KeyConfigurationException("cannot rotate the master key in " + stateDirectory + " ("
                    + e.getClass().getSimpleName() + "): check that the state folder is writable", e);
        } finally {
            Arrays.fill(oldBytes, (byte) 0);
            Arrays.fill(nextBytes, (byte) 0);
        }
    }

    /** The current key and how it was found. */
    private record Current(MasterKey key, String source, boolean generated, boolean fromStateFile) {
    }

    private static Current current(Function<String, Optional<String>> settings, Path stateDirectory, PassphraseKdf kdf)
            throws KeyConfigurationException {
        Optional<String> keyFile = setting(settings, MASTER_KEY_FILE);
        if (keyFile.isPresent()) {
            Path file = Path.of(keyFile.get().strip());
            if (!Files.exists(file)) {
                throw new KeyConfigurationException(MASTER_KEY_FILE + " points to " + file + ", which does not exist: "
                        + String.format(KeyFiles.CREATE_HINT, file, file) + ", or unset " + MASTER_KEY_FILE);
            }
            MasterKey key = KeyFiles.readKeyFile(file, "master key file", Exposure.GROUP_OR_OTHERS);
            return new Current(key, "file " + file + " (" + MASTER_KEY_FILE + ")", false, false);
        }
        Optional<String> credentials = setting(settings, CREDENTIALS_DIRECTORY);
        if (credentials.isPresent()) {
            Path file = Path.of(credentials.get().strip()).resolve(CREDENTIAL_NAME);
            if (Files.exists(file)) {
                MasterKey key = KeyFiles.readKeyFile(file, "systemd credential", Exposure.OTHERS);
                return new Current(key, "systemd credential " + file, false, false);
            }
        }
        Optional<String> keyText = setting(settings, MASTER_KEY);
        if (keyText.isPresent()) {
            byte[] text = keyText.get().getBytes(StandardCharsets.US_ASCII);
            try {
                MasterKey key = KeyFiles.parseKeyText(text).orElseThrow(() -> new KeyConfigurationException(
                        MASTER_KEY + " is not 64 hex characters or the Base64 of 32 bytes: generate a key with"
                                + " `openssl rand -hex 32`"));
                return new Current(key, "environment (" + MASTER_KEY + ")", false, false);
            } finally {
                Arrays.fill(text, (byte) 0);
            }
        }
        Optional<String> passphrase = setting(settings, PASSPHRASE);
        if (passphrase.isPresent()) {
            return fromPassphrase(passphrase.get(), settings, stateDirectory, kdf);
        }
        return generatedOrExisting(stateDirectory);
    }

    private static Current fromPassphrase(String passphrase, Function<String, Optional<String>> settings,
            Path stateDirectory, PassphraseKdf kdf) throws KeyConfigurationException {
        if (passphrase.codePointCount(0, passphrase.length()) < PassphraseKdf.MIN_PASSPHRASE_LENGTH) {
            throw new KeyConfigurationException(PASSPHRASE + " is too short: use at least "
                    + PassphraseKdf.MIN_PASSPHRASE_LENGTH + " characters, for example from `openssl rand -base64 24`");
        }
        Optional<String> saltText = setting(settings, KDF_SALT);
        byte[] salt;
        String saltSource;
        boolean generated = false;
        if (saltText.isPresent()) {
            try {
                salt = Base64.getDecoder().decode(saltText.get().strip());
            } catch (IllegalArgumentException e) {
                throw new KeyConfigurationException(KDF_SALT + " is not valid Base64: generate a salt with"
                        + " `openssl rand -base64 16` and set the same value on every daemon sharing the store");
            }
            if (salt.length < PassphraseKdf.MIN_SALT_LENGTH) {
                throw new KeyConfigurationException(KDF_SALT + " decodes to " + salt.length + " bytes, fewer than "
                        + PassphraseKdf.MIN_SALT_LENGTH + ": generate a salt with `openssl rand -base64 16`");
            }
            saltSource = "salt from " + KDF_SALT;
        } else {
            Path saltFile = stateDirectory.resolve(SALT_FILE);
            generated = ensureGenerated(saltFile, stateDirectory, GENERATED_SALT_LENGTH, "KDF salt file");
            salt = KeyFiles.readPrivateFile(saltFile, "KDF salt file", Exposure.GROUP_OR_OTHERS);
            if (salt.length < PassphraseKdf.MIN_SALT_LENGTH || salt.length > 64) {
                throw new KeyConfigurationException("KDF salt file " + saltFile + " holds " + salt.length
                        + " bytes, expected 16 to 64: restore it from a backup (without it the passphrase gives"
                        + " another key), or delete it only if no secret was sealed yet");
            }
            saltSource = (generated ? "new salt file " : "salt file ") + saltFile;
        }
        MasterKey key = kdf.derive(passphrase, salt);
        return new Current(key, "passphrase (" + PASSPHRASE + ", " + kdf.describe() + ", " + saltSource + ")",
                generated, false);
    }

    private static Current generatedOrExisting(Path stateDirectory) throws KeyConfigurationException {
        Path keyFile = stateDirectory.resolve(GENERATED_KEY_FILE);
        boolean generated = ensureGenerated(keyFile, stateDirectory, MasterKey.LENGTH, "master key file");
        MasterKey key = KeyFiles.readKeyFile(keyFile, "master key file", Exposure.GROUP_OR_OTHERS);
        return new Current(key, (generated ? "generated " : "file ") + keyFile, generated, true);
    }

    /**
     * Writes {@code length} random bytes to a new owner-only file unless it exists.
     *
     * @return whether this call created the file (another process may have won a race: then its
     *         file is used)
     */
    private static boolean ensureGenerated(Path file, Path stateDirectory, int length, String what)
            throws KeyConfigurationException {
        if (Files.exists(file)) {
            return false;
        }
        byte[] content = new byte[length];
        RANDOM.nextBytes(content);
        try {
            KeyFiles.createPrivateDirectories(stateDirectory);
            return KeyFiles.writePrivateFileIfAbsent(file, content);
        } catch (IOException e) {
            throw new KeyConfigurationException("cannot create " + what + " " + file + " ("
                    + e.getClass().getSimpleName() + "): make the state folder " + stateDirectory
                    + " writable by the daemon's user, or configure " + MASTER_KEY_FILE, e);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    private static List<MasterKey> retiredKeys(Path stateDirectory) throws KeyConfigurationException {
        Path folder = stateDirectory.resolve(RETIRED_KEYS_FOLDER);
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(folder, "retired-*.key")) {
            stream.forEach(files::add);
        } catch (IOException e) {
            throw new KeyConfigurationException("cannot list retired keys in " + folder + " ("
                    + e.getClass().getSimpleName() + "): check that the daemon's user may read it", e);
        }
        files.sort(null);
        List<MasterKey> keys = new ArrayList<>(files.size());
        Set<String> destroyed;
        try {
            Path list = folder.resolve(DESTROYED_KEY_IDS);
            destroyed = Files.exists(list) ? Set.copyOf(Files.readAllLines(list, StandardCharsets.US_ASCII)
                    .stream().map(String::strip).toList()) : Set.of();
        } catch (IOException e) {
            throw new KeyConfigurationException("cannot read " + folder.resolve(DESTROYED_KEY_IDS) + " ("
                    + e.getClass().getSimpleName() + "): check that the daemon's user may read it", e);
        }
        for (Path file : files) {
            MasterKey key = KeyFiles.readKeyFile(file, "retired key file", Exposure.GROUP_OR_OTHERS);
            if (destroyed.contains(key.id())) {
                // A rekey destroyed this key (it may have leaked): a restored copy must not open anything again.
                throw new KeyConfigurationException("retired key file " + file + " holds key " + key.id()
                        + ", which a rekey destroyed: delete the file; rows sealed with that key stay unreadable");
            }
            keys.add(key);
        }
        return keys;
    }

    /** @return the name of the configured key source, if any (the generated key is not one) */
    private static Optional<String> configuredSource(Function<String, Optional<String>> settings) {
        if (setting(settings, MASTER_KEY_FILE).isPresent()) {
            return Optional.of(MASTER_KEY_FILE);
        }
        Optional<String> credentials = setting(settings, CREDENTIALS_DIRECTORY);
        if (credentials.isPresent() && Files.exists(Path.of(credentials.get().strip()).resolve(CREDENTIAL_NAME))) {
            return Optional.of("the systemd credential " + CREDENTIAL_NAME);
        }
        if (setting(settings, MASTER_KEY).isPresent()) {
            return Optional.of(MASTER_KEY);
        }
        if (setting(settings, PASSPHRASE).isPresent()) {
            return Optional.of("the passphrase " + PASSPHRASE);
        }
        return Optional.empty();
    }

    private static Optional<String> setting(Function<String, Optional<String>> settings, String name) {
        Optional<String> value = settings.apply(name);
        return value == null ? Optional.empty() : value.filter(text -> !text.isBlank());
    }
}
