package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.inprocess.InProcessCli;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.inprocess.TokenkeeperExtension;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 25 must-show 1, the CLI path: {@code tokenkeeper import gazelle --access-token -} with the
 * header line on stdin, and {@code --token-json} with a file holding {@code Bearer ...} or
 * {@code {"access_token": ...}} alone, parsed by the real picocli commands and sent to the harness's
 * control API (in this package for {@link Main#execute}; no CLI process is started).
 */
class AccessTokenImportCliTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock).accessLifetime(Duration.ofDays(30));

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
            .settings(gazelle.settings());

    @TempDir
    Path files;

    @AfterEach
    void close() {
        String log = daemon.log();
        for (String secret : gazelle.allIssuedSecrets()) {
            assertFalse(log.contains(secret), "the daemon's log holds a secret");
        }
        gazelle.close();
    }

    @Test
    void theThreeFormsOfAnAccessTokenAreImportedFromTheCommandLine() throws Exception {
        String first = access("default");
        assertEquals(0, cli("Authorization: Bearer " + first + "\n", "import", "gazelle", "--access-token", "-"));
        assertServed("gazelle:default", first);

        String second = access("second");
        Files.writeString(files.resolve("bearer.txt"), "Bearer " + second + "\n");
        assertEquals(0, cli("", "import", "gazelle", "--account", "second", "--token-json",
                files.resolve("bearer.txt").toString()));
        assertServed("gazelle:second", second);

        String third = access("third");
        Files.writeString(files.resolve("token.json"), "{\"access_token\":\"" + third + "\"}");
        assertEquals(0, cli("", "import", "gazelle", "--account", "third", "--token-json", files.resolve("token.json").toString()));
        assertServed("gazelle:third", third);

        assertNotEquals(0, cli("two words\n", "import", "gazelle", "--account", "bad", "--access-token", "-"),
                "not one token: refused");
        assertEquals(404, daemon.call("GET", "/api/v1/credentials/gazelle:bad", null).statusCode());

        // Issue 25 must-show 4, this path: doctor says which credentials are an access token alone.
        String doctor = output("doctor", "--state-dir", daemon.stateDirectory().toString());
        for (String id : new String[] {"gazelle:default", "gazelle:second", "gazelle:third"}) {
            assertTrue(doctor.contains("credential " + id + ": access token only (no refresh token): served until "),
                    doctor);
        }
        assertTrue(doctor.contains("import again before then: tokenkeeper import gazelle --account second --access-token -"),
                doctor);
        for (String secret : gazelle.allIssuedSecrets()) {
            assertFalse(doctor.contains(secret), "doctor's output holds a secret");
        }
    }

    /** Runs a CLI command and returns what it printed on stdout. */
    private String output(String... args) throws Exception {
        return new InProcessCli(daemon, files).run("", args).output();
    }

    private String access(String account) throws Exception {
        return JSON.readTree(gazelle.seedChain(account)).path("access_token").asText();
    }

    private void assertServed(String id, String token) throws Exception {
        JsonNode credential = JSON.readTree(daemon.call("GET", "/api/v1/credentials/" + id, null).body());
        assertEquals("active", credential.path("status").asText(), credential.toString());
        assertEquals("no refresh token: import again before " + credential.path("refreshExpiresAt").asText(),
                credential.path("note").asText());
        assertEquals(token, JSON.readTree(daemon.call("GET", "/api/v1/credentials/" + id + "/token", null).body())
                .path("token").asText());
    }

    /** Runs a CLI command against the harness with {@code stdin}. */
    private int cli(String stdin, String... args) throws Exception {
        return new InProcessCli(daemon, files).run(stdin, args).exit();
    }
}
