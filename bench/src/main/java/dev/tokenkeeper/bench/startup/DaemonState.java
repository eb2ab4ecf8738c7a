package dev.tokenkeeper.bench.startup;

import dev.tokenkeeper.bench.rig.Credentials;
import dev.tokenkeeper.daemon.crypto.Keyring;
import dev.tokenkeeper.daemon.crypto.MasterKey;
import dev.tokenkeeper.daemon.crypto.SecretSealer;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A state folder for the real daemon: a master key file (0600) and a SQLite file pre-filled with
 * {@code count} sealed credentials through the real store and sealer, not due for weeks.
 *
 * @param folder  the state folder
 * @param keyFile the master key file ({@code TOKENKEEPER_MASTER_KEY_FILE})
 */
public record DaemonState(Path folder, Path keyFile) {

    /**
     * @param folder the state folder to create
     * @param count  credentials to store
     * @return the prepared state
     * @throws IOException when the folder cannot be written
     */
    public static DaemonState prepare(Path folder, int count) throws IOException {
        Files.createDirectories(folder);
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
        byte[] raw = new byte[MasterKey.LENGTH];
        new SecureRandom().nextBytes(raw);
        MasterKey key = MasterKey.of(raw.clone());
        Path keyFile = folder.resolveSibling(folder.getFileName() + ".key");
        Files.write(keyFile, raw);
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        if (count > 0) {
            SecretSealer sealer = new SecretSealer(Keyring.of(key));
            Instant now = Instant.now();
            Credentials.prefillSqlite(folder, count, i -> Credentials.gazelle(i, sealer, now, now.plus(Duration.ofDays(30))));
        }
        return new DaemonState(folder, keyFile);
    }

    /**
     * @param port     the control API port
     * @param tokenUrl the imitation upstream
     * @return the daemon's environment
     */
    public Map<String, String> environment(int port, URI tokenUrl) {
        Map<String, String> env = new HashMap<>();
        env.put("TOKENKEEPER_STATE_DIR", folder.toString());
        env.put("TOKENKEEPER_LISTEN", "127.0.0.1:" + port);
        env.put("TOKENKEEPER_MASTER_KEY_FILE", keyFile.toString());
        env.put("GAZELLE_OAUTH_TOKEN_URL", tokenUrl.toString());
        env.put("GAZELLE_CLIENT_ID", "bench-client");
        env.put("GAZELLE_CLIENT_SECRET", "bench-secret");
        return env;
    }

    /**
     * @param distribution the assembled distribution folder
     * @return {@code bin/tokenkeeper run}
     */
    public static List<String> runCommand(Path distribution) {
        return command(distribution, "run");
    }

    /**
     * @param distribution the assembled distribution folder
     * @param verb         a CLI verb or flag
     * @return {@code bin/tokenkeeper VERB}
     */
    public static List<String> command(Path distribution, String verb) {
        return List.of(distribution.resolve("bin/tokenkeeper").toString(), verb);
    }

    /** @return the admin token the daemon generated */
    public String adminToken() throws IOException {
        return Files.readString(folder.resolve("admin-token")).trim();
    }
}
