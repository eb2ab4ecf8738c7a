package dev.tokenkeeper.dist;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an operator sees: journald lines, a clean SIGTERM, Prometheus metrics. */
class OperationsTest {

    @TempDir
    Path temp;

    private FakeGazelle gazelle;

    @BeforeEach
    void start() {
        gazelle = FakeGazelle.start();
    }

    @AfterEach
    void stop() {
        gazelle.close();
    }

    private Map<String, String> env(Map<String, String> extra) {
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.putAll(extra);
        return env;
    }

    private void importChain(DaemonProcess daemon) throws Exception {
        String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", gazelle.seedChain("default")).toString();
        assertEquals(201, daemon.call("PUT", "/api/v1/credentials/gazelle:default", body).status());
    }

    @Test
    void underJournaldEveryLineCarriesItsSyslogPriority() throws Exception {
        DaemonProcess daemon = new DaemonProcess(temp.resolve("state"), env(Map.of("JOURNAL_STREAM", "8:12345",
                "TOKENKEEPER_AUTO_REFRESH_ENABLED", "false")));
        daemon.start();
        importChain(daemon);
        gazelle.tokenFaultForNext(1, FakeGazelle.Fault.serviceUnavailable());
        daemon.call("POST", "/api/v1/credentials/gazelle:default/refresh?force=true", null);
        gazelle.tokenFault(FakeGazelle.Fault.invalidGrant());
        daemon.call("POST", "/api/v1/credentials/gazelle:default/refresh?force=true", null);
        daemon.stop();

        Pattern prefixed = Pattern.compile("<[0-7]>[^<].*");
        List<String> lines = daemon.output().lines().filter(line -> !line.isEmpty()).toList();
        assertTrue(lines.size() >= 5, lines.toString());
        for (String line : lines) {
            assertTrue(prefixed.matcher(line).matches(), "no priority prefix: " + line);
            assertFalse(line.matches("<\\d>\\d{4}-\\d\\d-\\d\\dT.*"), "journald adds the time itself: " + line);
        }
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("<4>") && l.contains("refresh of gazelle:default failed")),
                "the retry is a warning: " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("<3>") && l.contains("gazelle:default needs a human")),
                "requires_configuration is an error: " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("<6>") && l.contains("imported gazelle:default")), lines.toString());
        for (String secret : gazelle.allIssuedSecrets()) {
            assertFalse(daemon.output().contains(secret));
        }
    }

    @Test
    void sigtermDuringARefreshLetsItCommitAndTheChainContinues() throws Exception {
        Path state = temp.resolve("state");
        // The upstream answers after 3 s; the client must wait for it (a timeout would lose the rotated answer).
        Map<String, String> env = env(Map.of("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false",
                "TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "10"));
        DaemonProcess daemon = new DaemonProcess(state, env);
        daemon.start();
        importChain(daemon);
        gazelle.tokenFaultForNext(1, FakeGazelle.Fault.slow(Duration.ofSeconds(3)));
        CompletableFuture<DaemonProcess.Response> refresh = CompletableFuture.supplyAsync(() -> {
            try {
                return daemon.call("POST", "/api/v1/credentials/gazelle:default/refresh?force=true", null);
            } catch (Exception e) {
                return new DaemonProcess.Response(-1, e.toString());
            }
        });
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> gazelle.refreshRequestCount() > 0);
        assertEquals(1, gazelle.refreshRequestCount(), "the refresh reached the upstream");
        long stopping = System.nanoTime();
        daemon.process().destroy();
        assertTrue(daemon.process().waitFor(40, TimeUnit.SECONDS), "exits within the bound");
        long tookMs = (System.nanoTime() - stopping) / 1_000_000;
        int exit = daemon.process().exitValue();
        assertTrue(exit == 143 || exit == 0, "exit code " + exit);
        assertTrue(daemon.output().contains("shutting down"), daemon.output());
        refresh.get(5, TimeUnit.SECONDS);

        DaemonProcess again = new DaemonProcess(state, env);
        again.start();
        try {
            JsonNode credential = again.call("GET", "/api/v1/credentials/gazelle:default", null).json();
            assertEquals(2, credential.get("version").asLong(), "the refresh in flight at SIGTERM was committed (stop took "
                    + tookMs + " ms)");
            JsonNode history = again.call("GET", "/api/v1/credentials/gazelle:default/history", null).json();
            assertEquals("refreshed", history.get(history.size() - 1).get("outcome").asText(), history.toString());
            String token = again.call("GET", "/api/v1/credentials/gazelle:default/token", null).json().get("token").asText();
            assertTrue(gazelle.isAccessTokenValid(token), "the restarted daemon serves the refreshed token");
            DaemonProcess.Response next = again.call("POST", "/api/v1/credentials/gazelle:default/refresh?force=true", null);
            assertEquals("refreshed", next.json().get("outcome").asText(), next.body());
            assertEquals(0, gazelle.reuseCount(), "the chain continues");
        } finally {
            again.stop();
        }
    }

    @Test
    void aFreshDaemonWithoutCredentialsHasEverySeriesAtZero() throws Exception {
        DaemonProcess daemon = new DaemonProcess(temp.resolve("state"), env(Map.of()));
        daemon.start();
        try {
            PrometheusText metrics = PrometheusText.parse(daemon.call("GET", "/metrics", null).body());
            List<String> providers = new java.util.ArrayList<>();
            for (JsonNode plugin : daemon.call("GET", "/api/v1/providers", null).json()) {
                if (plugin.path("kind").asText().equals("provider")) {
                    providers.add(plugin.path("id").asText());
                }
            }
            assertTrue(providers.containsAll(List.of("gazelle", "vinted")), providers.toString());
            List<String> outcomes = List.of("refreshed", "transient_failure", "permanent_failure", "validated", "rejected");
            for (String provider : providers) {
                for (String outcome : outcomes) {
                    assertSeriesAtZero(metrics, "tokenkeeper_refreshes_total", Map.of("provider", provider, "outcome", outcome));
                }
                assertSeriesAtZero(metrics, "tokenkeeper_imports_total", Map.of("provider", provider));
                assertSeriesAtZero(metrics, "tokenkeeper_refresh_duration_seconds_count", Map.of("provider", provider));
            }
            for (String status : List.of("active", "expired", "error", "requires_configuration")) {
                assertSeriesAtZero(metrics, "tokenkeeper_credentials", Map.of("status", status));
            }
            assertEquals("counter", metrics.type("tokenkeeper_refreshes").or(() -> metrics.type("tokenkeeper_refreshes_total"))
                    .orElse("?"));
        } finally {
            daemon.stop();
        }
    }

    private static void assertSeriesAtZero(PrometheusText metrics, String name, Map<String, String> labels) {
        List<PrometheusText.Sample> series = metrics.samples().stream()
                .filter(s -> s.name().equals(name) && s.labels().equals(labels)).toList();
        assertEquals(1, series.size(), "one series " + name + labels + " in /metrics");
        assertEquals(0.0, series.get(0).value(), name + labels);
    }

    @Test
    void metricsParseAsPrometheusTextAndCountRefreshes() throws Exception {
        DaemonProcess daemon = new DaemonProcess(temp.resolve("state"), env(Map.of("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false",
                "TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0")));
        daemon.start();
        try {
            importChain(daemon);
            Map<String, String> refreshed = Map.of("provider", "gazelle", "outcome", "refreshed");
            PrometheusText before = PrometheusText.parse(daemon.call("GET", "/metrics", null).body());
            assertEquals(0.0, before.value("tokenkeeper_refreshes_total", refreshed));
            assertEquals(1.0, before.value("tokenkeeper_credentials", Map.of("status", "active")));
            for (int i = 0; i < 3; i++) {
                daemon.call("POST", "/api/v1/credentials/gazelle:default/refresh?force=true", null);
            }
            gazelle.tokenFaultForNext(1, FakeGazelle.Fault.serviceUnavailable());
            daemon.call("POST", "/api/v1/credentials/gazelle:default/refresh?force=true", null);
            PrometheusText after = PrometheusText.parse(daemon.call("GET", "/metrics", null).body());
            assertEquals(3.0, after.value("tokenkeeper_refreshes_total", refreshed));
            assertEquals(1.0, after.value("tokenkeeper_refreshes_total", Map.of("outcome", "transient_failure")));
            assertEquals("counter", after.type("tokenkeeper_refreshes").or(() -> after.type("tokenkeeper_refreshes_total")).orElse("?"));
            assertEquals(3.0, after.value("tokenkeeper_refresh_duration_seconds_count", Map.of("provider", "gazelle")), 1.0);
            assertTrue(after.value("tokenkeeper_nearest_expiry_seconds", Map.of()) > 0);
            assertTrue(after.value("jvm_memory_used_bytes", Map.of()) > 0, "JVM basics are there");
            for (PrometheusText.Sample sample : after.samples()) {
                assertFalse(sample.labels().containsKey("account"), "no account label: " + sample);
                for (String value : sample.labels().values()) {
                    assertFalse(gazelle.allIssuedSecrets().contains(value), "a secret in a label");
                }
            }
        } finally {
            daemon.stop();
        }
    }
}
