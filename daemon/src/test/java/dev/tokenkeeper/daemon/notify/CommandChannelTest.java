package dev.tokenkeeper.daemon.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandChannelTest {

    @TempDir
    Path folder;

    @Test
    void theProgramGetsTheEventOnStdinAndTwoVariables() throws Exception {
        Path stdin = folder.resolve("stdin.json");
        Path env = folder.resolve("env.txt");
        CommandChannel channel = new CommandChannel("cat > " + stdin + "; env > " + env + "; echo handled", Duration.ofSeconds(10));
        Notification test = new SituationTracker(new SituationTracker.Thresholds(Duration.ofHours(1), Duration.ofDays(7),
                Duration.ofDays(1)), "box", java.util.Map.of()).test(Instant.parse("2026-03-01T00:00:00Z"));
        assertInstanceOf(Delivery.Delivered.class, channel.deliver(test));
        JsonNode json = new ObjectMapper().readTree(stdin.toFile());
        assertEquals("test", json.path("event").asText());
        assertEquals("box", json.path("host").asText());
        assertEquals(test.id(), json.path("id").asText());
        Set<String> names = Files.readAllLines(env).stream().filter(line -> line.contains("="))
                .map(line -> line.substring(0, line.indexOf('='))).collect(Collectors.toSet());
        assertTrue(names.contains("TOKENKEEPER_EVENT") && names.contains("TOKENKEEPER_CREDENTIAL"), names.toString());
        assertTrue(Files.readAllLines(env).contains("TOKENKEEPER_EVENT=test"));
        // Nothing of the daemon's own environment (client secrets, passphrases) beyond the basics.
        Set<String> allowed = Set.copyOf(Arrays.asList("PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME", "TMPDIR",
                "PWD", "SHLVL", "_", "OLDPWD", "TOKENKEEPER_EVENT", "TOKENKEEPER_CREDENTIAL"));
        assertTrue(allowed.containsAll(names), "unexpected variables: " + names);
    }

    @Test
    void failureAndTimeoutAreRetried() {
        Notification test = new SituationTracker(new SituationTracker.Thresholds(Duration.ofHours(1), Duration.ofDays(7),
                Duration.ofDays(1)), "box", java.util.Map.of()).test(Instant.now());
        Delivery failed = new CommandChannel("exit 3", Duration.ofSeconds(10)).deliver(test);
        assertInstanceOf(Delivery.Retry.class, failed);
        assertTrue(failed.detail().contains("exited with 3"), failed.detail());
        long started = System.nanoTime();
        Delivery slow = new CommandChannel("sleep 30", Duration.ofSeconds(1)).deliver(test);
        assertInstanceOf(Delivery.Retry.class, slow);
        assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(15)) < 0);
        assertEquals("command sleep ...", new CommandChannel("sleep 30", Duration.ofSeconds(1)).describe());
    }
}
