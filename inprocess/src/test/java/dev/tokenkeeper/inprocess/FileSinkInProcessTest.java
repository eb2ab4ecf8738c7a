package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The file sink on the controlled clock: while the daemon rotates an hour-long token six times, a
 * consumer thread reads the token files as fast as it can (wall time: the subject is the atomic
 * replace racing real reads) and never reads a partial file, and after every clock step the files
 * hold a token valid at that time which the upstream takes; the modes are the documented ones; a
 * restart writes the files again; a deleted credential's files are removed.
 */
class FileSinkInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path temp;

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock).accessLifetime(Duration.ofHours(1));
    private final Path sink = temp.resolve("sink-" + System.nanoTime());
    private final String group = groupOf(temp);

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
            .settings(gazelle.settings())
            .setting("TOKENKEEPER_SINK_DIR", sink.toString())
            .setting("TOKENKEEPER_SINK_GROUP", group);

    private static String groupOf(Path folder) {
        try {
            return Files.readAttributes(folder, PosixFileAttributes.class).group().getName();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterEach
    void lookForSecretsAndClose() {
        try {
            String log = daemon.log();
            for (String secret : gazelle.allIssuedSecrets()) {
                assertFalse(log.contains(secret), "the daemon's log holds an issued token or the client secret");
            }
        } finally {
            gazelle.close();
        }
    }

    @Test
    void consumerReadingAllTheTimeNeverSeesAPartialFileOrAnExpiredToken() throws Exception {
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/gazelle:default",
                JSON.createObjectNode().put("tokenJson", gazelle.seedChain("default")).toString());
        assertEquals(201, imported.statusCode(), imported.body());
        Path tokenFile = sink.resolve("gazelle/default.token");
        Path jsonFile = sink.resolve("gazelle/default.json");
        assertTrue(Files.exists(tokenFile) && Files.exists(jsonFile), "written when the import was committed");

        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        Set<String> seen = Collections.synchronizedSet(new HashSet<>());
        AtomicInteger reads = new AtomicInteger();
        AtomicBoolean reading = new AtomicBoolean(true);
        Thread consumer = new Thread(() -> {
            while (reading.get()) {
                try {
                    String token = Files.readString(tokenFile);
                    JsonNode json = JSON.readTree(Files.readString(jsonFile));
                    reads.incrementAndGet();
                    seen.add(token);
                    if (!gazelle.allIssuedSecrets().contains(token)) {
                        problems.add("the token file held something never issued (partial?)");
                    }
                    if (json == null || !gazelle.allIssuedSecrets().contains(json.path("token").asText())) {
                        problems.add("the json file was incomplete");
                    } else if (!("Bearer " + json.path("token").asText()).equals(json.path("headers").path("Authorization").asText())) {
                        problems.add("the json file's Authorization header is not its token's");
                    }
                } catch (IOException | RuntimeException e) {
                    problems.add("a read failed: " + e);
                }
                // Paces the reads (a few hundred a second), so the reader does not starve the daemon on a busy machine.
                LockSupport.parkNanos(Duration.ofMillis(3).toNanos());
            }
        }, "sink-consumer");
        consumer.start();
        int refreshesBefore = gazelle.refreshRequestCount();
        Instant deadline = clock.instant().plus(Duration.ofHours(12));
        try {
            while (gazelle.refreshRequestCount() < refreshesBefore + 6 && clock.instant().isBefore(deadline)) {
                daemon.advance(Duration.ofMinutes(1));
                String token = Files.readString(tokenFile);
                JsonNode json = JSON.readTree(Files.readString(jsonFile));
                Instant expiry = Instant.parse(json.path("accessExpiresAt").asText());
                if (!expiry.isAfter(clock.instant())) {
                    problems.add("the json file held a token expired at " + expiry + ", read at " + clock.instant());
                }
                if (!gazelle.isAccessTokenValid(token)) {
                    problems.add("the token file held a token the upstream rejects at " + clock.instant());
                }
            }
        } finally {
            reading.set(false);
            consumer.join(10_000);
        }
        assertTrue(gazelle.refreshRequestCount() >= refreshesBefore + 6, "only "
                + (gazelle.refreshRequestCount() - refreshesBefore) + " rotations in 12 h");
        System.out.println("measured: " + reads.get() + " reads by the consumer thread, "
                + (gazelle.refreshRequestCount() - refreshesBefore) + " rotations, problems " + problems);
        assertEquals(List.of(), problems);
        assertTrue(seen.size() >= 5, "the consumer saw " + seen.size() + " tokens in " + reads.get() + " reads");

        for (Path path : List.of(tokenFile, jsonFile)) {
            PosixFileAttributes attributes = Files.readAttributes(path, PosixFileAttributes.class);
            assertEquals("rw-r-----", PosixFilePermissions.toString(attributes.permissions()), path.toString());
            assertEquals(group, attributes.group().getName());
        }
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(sink.resolve("gazelle"))));
        try (Stream<Path> files = Files.walk(sink)) {
            List<String> names = files.map(path -> sink.relativize(path).toString()).toList();
            for (String name : names) {
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(name.contains(secret), "a sink file name holds a token");
                }
            }
            assertEquals(Set.of("", "gazelle", "gazelle/default.token", "gazelle/default.json"), Set.copyOf(names),
                    "no temporary file left behind");
        }

        // At start the files are written again.
        Files.delete(tokenFile);
        Files.delete(jsonFile);
        daemon.restart();
        assertTrue(Files.exists(tokenFile) && Files.exists(jsonFile), "written again at start");

        assertEquals(204, daemon.call("DELETE", "/api/v1/credentials/gazelle:default", null).statusCode());
        assertFalse(Files.exists(tokenFile) || Files.exists(jsonFile), "a deleted credential's files are removed");
    }
}
