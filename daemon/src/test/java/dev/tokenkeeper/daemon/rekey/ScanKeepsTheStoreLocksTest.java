package dev.tokenkeeper.daemon.rekey;

import dev.tokenkeeper.daemon.refresh.EmbeddedStore;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.daemon.config.DaemonPluginContext;
import dev.tokenkeeper.daemon.config.Settings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scan that confirms a rekey's purge reads the live database's files, and closing a descriptor
 * of a file drops every POSIX lock this process holds on it, SQLite's included. Found by the CLI
 * tests: after a rekey, the next process to open the database (here a second JVM, as the CLI's
 * {@code doctor} or a second daemon would) took itself for the only one and removed the WAL under
 * the running store, whose reads then failed with {@code SQLITE_IOERR_SHORT_READ}.
 */
class ScanKeepsTheStoreLocksTest {

    private static final CredentialId ID = CredentialId.parse("gazelle:default");
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path state;

    private TokenStore sqlite;

    @BeforeEach
    void openStore() {
        sqlite = EmbeddedStore.found();
        sqlite.open(new DaemonPluginContext(Settings.of(Map.of(), Map.of()), state, Clock.systemUTC()));
    }

    @AfterEach
    void closeStore() {
        sqlite.close();
    }

    @Test
    void anotherProcessOpeningTheDatabaseAfterAScanLeavesTheLiveStoreItsWal() throws Exception {
        assertTrue(sqlite.insert(credential(1)));
        Path database = state.resolve("tokenkeeper.db");
        Path wal = state.resolve("tokenkeeper.db-wal");
        assertTrue(Files.exists(wal), "the store is in WAL mode");

        for (int scan = 0; scan < 2; scan++) {
            OldCiphertexts.under(state, List.of("oldkey01"), Set.of());
        }
        String other = otherProcessReads(database);

        assertEquals("1", other.strip(), "the other process reads the committed row");
        assertTrue(Files.exists(wal), "the other process, last to close as it believed, removed the live store's WAL");
        StoredCredential two = credential(2);
        assertTrue(sqlite.compareAndSet(two, 1));
        assertEquals(2, sqlite.get(ID).orElseThrow().version(), "the live store still reads and writes");
    }

    /** A second JVM that opens the database with the same driver, counts the credentials and closes it. */
    private String otherProcessReads(Path database) throws Exception {
        Path driver = Path.of(ModuleLayer.boot().configuration().findModule("org.xerial.sqlitejdbc")
                .flatMap(module -> module.reference().location()).orElseThrow());
        Path probe = state.resolveSibling(state.getFileName() + "-probe").resolve("Probe.java");
        Files.createDirectories(probe.getParent());
        Files.writeString(probe, """
                import java.sql.*;
                public class Probe {
                    public static void main(String[] args) throws Exception {
                        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + args[0]);
                             ResultSet r = c.createStatement().executeQuery("SELECT count(*) FROM credentials")) {
                            r.next();
                            System.out.println(r.getInt(1));
                        }
                    }
                }
                """);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", driver.toString(), probe.toString(), database.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the other process did not end within 60 s");
        assertEquals(0, process.exitValue(), output);
        return output;
    }

    private static StoredCredential credential(long version) {
        byte[] sealed = new byte[64];
        java.util.Arrays.fill(sealed, (byte) version);
        return new StoredCredential(ID, CredentialStatus.ACTIVE, SealedSecret.of(sealed), T0,
                Optional.of(T0.plusSeconds(3600)), Optional.empty(), version, Optional.of(T0), Optional.empty(), T0);
    }
}
