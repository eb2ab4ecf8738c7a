package dev.tokenkeeper.daemon.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The settings that hold secrets, and where each may come from. This is the one list: the
 * {@code _FILE} rule of {@link Settings}, {@code doctor}'s check of environment files and the
 * redaction of setting values in messages all read it.
 *
 * <p>A secret {@code X} is taken, in this order, from
 * <ol>
 *   <li>{@code X} itself (the environment);</li>
 *   <li>{@code X_FILE}: a file holding the value, readable by its owner only; setting both
 *       {@code X} and {@code X_FILE} is an error;</li>
 *   <li>{@code $CREDENTIALS_DIRECTORY/secret_x} ({@code x} the name in lower case): a systemd
 *       credential. The packaged unit loads every file of the root-only folder
 *       {@code /etc/tokenkeeper/credentials} with {@code LoadCredential=secret:<folder>}, and systemd
 *       names each {@code secret_<file name>}: the file {@code credentials/supabase_service_role_key}
 *       becomes credential {@code secret_supabase_service_role_key}.</li>
 * </ol>
 * The master key keeps rules of its own (a file may hold 32 raw bytes; its credential is
 * {@code master-key}), so {@code TOKENKEEPER_MASTER_KEY} is a secret without this rule.
 */
public final class SecretSettings {

    /** The master key as text; its file forms are the key loader's ({@code TOKENKEEPER_MASTER_KEY_FILE}). */
    static final String MASTER_KEY = "TOKENKEEPER_MASTER_KEY";

    /** Every setting whose value is a secret. */
    public static final Set<String> NAMES = Stream.concat(Stream.of(
            MASTER_KEY,
            "SUPABASE_SERVICE_ROLE_KEY",
            "TOKENKEEPER_NOTIFY_URL",
            // May carry the database password; TOKENKEEPER_POSTGRES_PASSWORD_FILE is the store's own file form.
            "TOKENKEEPER_POSTGRES_URL"), OriginalSettings.SECRETS.stream()).collect(Collectors.toUnmodifiableSet());

    /** Where systemd puts a unit's credentials. */
    public static final String CREDENTIALS_DIRECTORY = "CREDENTIALS_DIRECTORY";
    /** What systemd puts before a file's name when a unit loads a folder as {@code LoadCredential=secret:<folder>}. */
    public static final String CREDENTIAL_PREFIX = "secret_";
    /** The suffix of a setting that names the file holding a secret. */
    public static final String FILE_SUFFIX = "_FILE";
    /** Files larger than this certainly hold no setting. */
    static final int MAX_SIZE = 64 * 1024;

    private SecretSettings() {
    }

    /**
     * @param name a setting name
     * @return whether its value is a secret
     */
    public static boolean isSecret(String name) {
        return NAMES.contains(name);
    }

    /**
     * @param name a secret setting, such as {@code SUPABASE_SERVICE_ROLE_KEY}
     * @return the name of its file in a credentials folder, such as {@code supabase_service_role_key}
     */
    public static String fileName(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    /**
     * @param name a secret setting, such as {@code SUPABASE_SERVICE_ROLE_KEY}
     * @return the name of its systemd credential, such as {@code secret_supabase_service_role_key}: what
     *         {@code LoadCredential=secret:<folder>} makes of the folder's file {@link #fileName}
     */
    public static String credentialName(String name) {
        return CREDENTIAL_PREFIX + fileName(name);
    }

    /** @return whether {@code name} is read through {@code X_FILE} and the credentials folder */
    static boolean hasFileForms(String name) {
        return isSecret(name) && !MASTER_KEY.equals(name);
    }

    /**
     * Applies the rule to one secret.
     *
     * @param name   a secret setting with file forms
     * @param values every setting as given (blank values count as unset)
     * @return the value, from the setting, its file or its credential
     * @throws ConfigurationException when both {@code X} and {@code X_FILE} are set, or the file
     *                                is missing, empty, too large, not text, or open to others
     */
    static Optional<String> resolve(String name, Map<String, String> values) {
        Optional<String> direct = nonBlank(values.get(name));
        Optional<String> file = nonBlank(values.get(name + FILE_SUFFIX));
        if (direct.isPresent() && file.isPresent()) {
            throw new ConfigurationException(name + " and " + name + FILE_SUFFIX + " are both set: keep one"
                    + " (the file keeps the secret out of the environment)");
        }
        if (direct.isPresent()) {
            return direct;
        }
        if (file.isPresent()) {
            return Optional.of(read(Path.of(file.get()), name + FILE_SUFFIX + "=" + file.get(), true));
        }
        Optional<Path> credential = nonBlank(values.get(CREDENTIALS_DIRECTORY))
                .map(dir -> Path.of(dir).resolve(credentialName(name)))
                .filter(path -> Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS));
        return credential.map(path -> read(path, "systemd credential " + path + " (" + name + ")", false));
    }

    /**
     * Reads a secret's file. A file {@code X_FILE} names must be its owner's alone; in systemd's
     * credentials folder, which only the unit can enter, systemd chooses the group bits.
     */
    private static String read(Path path, String what, boolean ownerOnly) {
        if (!Files.isRegularFile(path)) {
            throw new ConfigurationException(what + ": " + (Files.exists(path) ? "not a regular file" : "no such file")
                    + ": write the secret into that file (chmod 600) or fix the path");
        }
        checkPermissions(path, what, ownerOnly);
        try {
            long size = Files.size(path);
            if (size > MAX_SIZE) {
                throw new ConfigurationException(what + " is " + size + " bytes, too large for a setting: point it at"
                        + " the file that holds only the secret");
            }
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(path))).toString().strip();
            if (text.isEmpty()) {
                throw new ConfigurationException(what + " is empty: write the secret into it");
            }
            return text;
        } catch (CharacterCodingException e) {
            throw new ConfigurationException(what + " is not UTF-8 text: write the secret into it as text");
        } catch (IOException e) {
            throw new ConfigurationException("cannot read " + what + " (" + e.getClass().getSimpleName()
                    + "): check that the daemon's user may read it");
        }
    }

    private static void checkPermissions(Path path, String what, boolean ownerOnly) {
        Optional<Set<PosixFilePermission>> mode = PosixMode.of(path, e -> new ConfigurationException(
                "cannot read the permissions of " + what + " (" + e.getClass().getSimpleName()
                        + "): check that the daemon's user may access it"));
        if (mode.isEmpty()) {
            return;
        }
        Set<PosixFilePermission> permissions = mode.get();
        boolean others = permissions.contains(PosixFilePermission.OTHERS_READ)
                || permissions.contains(PosixFilePermission.OTHERS_WRITE);
        boolean group = permissions.contains(PosixFilePermission.GROUP_READ)
                || permissions.contains(PosixFilePermission.GROUP_WRITE);
        if (others || ownerOnly && group) {
            throw new ConfigurationException(what + " is open to " + (others ? "others" : "its group") + " (mode "
                    + PosixFilePermissions.toString(permissions) + "): run `chmod 600 " + path + "`");
        }
    }

    private static Optional<String> nonBlank(String value) {
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
    }
}
