package dev.tokenkeeper.daemon.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the Debian package puts the service's settings and state, so that the CLI run as root,
 * through sudo or by a member of group {@code tokenkeeper} finds the service with nothing set:
 * the settings of {@code tokenkeeper.env} (below the process environment), the shared admin
 * token, and the service's state folder when the user has none of their own.
 *
 * @param environmentFile the unit's {@code EnvironmentFile=}
 * @param adminToken      the admin token the unit loads with {@code LoadCredential=}
 * @param stateDirectory  the unit's {@code StateDirectory=}
 */
public record InstalledService(Path environmentFile, Path adminToken, Path stateDirectory) {

    /** The root-only folder next to the environment file whose files the unit passes as credentials {@code secret_<file>}. */
    public static final String CREDENTIALS_FOLDER = "credentials";

    /** The Debian package's layout. */
    public static final InstalledService DEBIAN = new InstalledService(Path.of("/etc/tokenkeeper/tokenkeeper.env"),
            Path.of("/etc/tokenkeeper/admin-token"), Path.of("/var/lib/tokenkeeper"));

    /**
     * The settings a client of the service uses: the process environment, over the values of the
     * environment file, with the flags over both; then, when the user has no state folder or admin
     * token of their own, the service's.
     *
     * @param environment the process environment
     * @param overrides   the command-line flags
     * @return the merged settings
     */
    public Settings clientSettings(Map<String, String> environment, Map<String, String> overrides) {
        Map<String, String> merged = new HashMap<>(readEnvironmentFile(environmentFile));
        environment.forEach((name, value) -> {
            if (name != null && value != null) {
                merged.put(name, value);
            }
        });
        Settings settings = Settings.of(merged, overrides);
        Map<String, String> found = new HashMap<>();
        Path ownState = StateDirectory.resolve(settings);
        boolean ownStateGiven = settings.get("TOKENKEEPER_STATE_DIR").isPresent() || settings.get("STATE_DIRECTORY").isPresent();
        if (!ownStateGiven && !Files.isDirectory(ownState) && Files.isDirectory(stateDirectory)) {
            found.put("TOKENKEEPER_STATE_DIR", stateDirectory.toString());
            ownState = stateDirectory;
            // The service's state is sealed with the key the unit loads (LoadCredential=); root can read it.
            Path key = environmentFile.resolveSibling("master-key");
            if (settings.get("TOKENKEEPER_MASTER_KEY_FILE").isEmpty() && Files.isReadable(key)) {
                found.put("TOKENKEEPER_MASTER_KEY_FILE", key.toString());
            }
            // The secrets the unit loads from the root-only credentials folder, for root's doctor and import.
            Path credentials = environmentFile.resolveSibling(CREDENTIALS_FOLDER);
            for (String name : SecretSettings.NAMES) {
                Path file = credentials.resolve(SecretSettings.fileName(name));
                boolean given = merged.containsKey(name) || merged.containsKey(name + SecretSettings.FILE_SUFFIX)
                        || overrides.containsKey(name);
                if (SecretSettings.hasFileForms(name) && !given && Files.isReadable(file)) {
                    found.put(name + SecretSettings.FILE_SUFFIX, file.toString());
                }
            }
        }
        if (settings.get("TOKENKEEPER_ADMIN_TOKEN_FILE").isEmpty() && !Files.exists(ownState.resolve("admin-token"))) {
            for (Path candidate : List.of(adminToken, stateDirectory.resolve("admin-token"))) {
                if (Files.isReadable(candidate)) {
                    found.put("TOKENKEEPER_ADMIN_TOKEN_FILE", candidate.toString());
                    break;
                }
            }
        }
        return found.isEmpty() ? settings : Settings.of(settings.asMap(), found);
    }

    /**
     * Why a user outside group {@code tokenkeeper} gets no further: the service's settings and
     * admin token are in a folder only root and the group may read.
     *
     * @param user this user's name, for the command to give
     * @return what to do, when the service is installed and this user cannot read its folder
     */
    public Optional<String> outsiderHint(String user) {
        Path folder = environmentFile.getParent();
        if (folder == null || !Files.isDirectory(folder) || Files.isReadable(folder)) {
            return Optional.empty();
        }
        return Optional.of("the installed service (" + folder + ") is used by root and the members of group tokenkeeper"
                + " only: ask an administrator for `sudo adduser " + user + " tokenkeeper`, then log in again");
    }

    /**
     * Reads a systemd {@code EnvironmentFile=}: {@code NAME=value} lines, {@code #} and {@code ;}
     * comments, values optionally in single or double quotes.
     *
     * @param file the file
     * @return its values; empty when it is absent or unreadable by this user
     */
    public static Map<String, String> readEnvironmentFile(Path file) {
        List<String> lines;
        try {
            if (!Files.isReadable(file)) {
                return Map.of();
            }
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return Map.of();
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("export ")) {
                line = line.substring("export ".length()).strip();
            }
            int equals = line.indexOf('=');
            if (equals <= 0) {
                continue;
            }
            String name = line.substring(0, equals).strip();
            String value = line.substring(equals + 1).strip();
            if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                    || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            values.put(name, value);
        }
        return values;
    }

    /** @return the admin token the service loaded, if systemd passed it as a credential */
    static Optional<Path> credentialAdminToken(Settings settings) {
        return settings.get("CREDENTIALS_DIRECTORY").map(dir -> Path.of(dir, "admin-token")).filter(Files::isRegularFile);
    }
}
