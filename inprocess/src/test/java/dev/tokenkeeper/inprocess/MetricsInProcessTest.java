package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import dev.tokenkeeper.provider.vinted.VintedProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an operator scrapes from {@code /metrics}: Prometheus text that {@link PrometheusText} parses
 * strictly, every series present at zero on a fresh daemon, refreshes counted by outcome, and no
 * account or secret in a label. A daemon of its own per test (the counts start at zero).
 */
class MetricsInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeGazelle gazelle = FakeGazelle.start().clock(clock);

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(clock)
            .provider(new VintedProvider())
            .settings(gazelle.settings())
            .setting("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false")
            .setting("TOKENKEEPER_MIN_REFRESH_INTERVAL_SECONDS", "0");

    @AfterEach
    void closeImitation() {
        String log = daemon.log();
        for (String secret : gazelle.allIssuedSecrets()) {
            assertFalse(log.contains(secret), "the daemon's log holds a secret");
        }
        gazelle.close();
    }

    @Test
    void aFreshDaemonWithoutCredentialsHasEverySeriesAtZero() throws Exception {
        PrometheusText metrics = PrometheusText.parse(ok(daemon.call("GET", "/metrics", null)));
        List<String> providers = new ArrayList<>();
        for (JsonNode plugin : JSON.readTree(ok(daemon.call("GET", "/api/v1/providers", null)))) {
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
    }

    @Test
    void metricsParseAsPrometheusTextAndCountRefreshes() throws Exception {
        String body = JSON.createObjectNode().put("tokenJson", gazelle.seedChain("default")).toString();
        assertEquals(201, daemon.call("PUT", "/api/v1/credentials/gazelle:default", body).statusCode());
        Map<String, String> refreshed = Map.of("provider", "gazelle", "outcome", "refreshed");
        PrometheusText before = PrometheusText.parse(ok(daemon.call("GET", "/metrics", null)));
        assertEquals(0.0, before.value("tokenkeeper_refreshes_total", refreshed));
        assertEquals(1.0, before.value("tokenkeeper_credentials", Map.of("status", "active")));
        for (int i = 0; i < 3; i++) {
            refreshTakingOneClockSecond();
        }
        gazelle.tokenFaultForNext(1, FakeGazelle.Fault.serviceUnavailable());
        daemon.call("POST", "/api/v1/credentials/gazelle:default/refresh?force=true", null);
        PrometheusText after = PrometheusText.parse(ok(daemon.call("GET", "/metrics", null)));
        assertEquals(3.0, after.value("tokenkeeper_refreshes_total", refreshed));
        assertEquals(1.0, after.value("tokenkeeper_refreshes_total", Map.of("outcome", "transient_failure")));
        assertEquals("counter", after.type("tokenkeeper_refreshes").or(() -> after.type("tokenkeeper_refreshes_total")).orElse("?"));
        assertEquals(3.0, after.value("tokenkeeper_refresh_duration_seconds_count", Map.of("provider", "gazelle")), 1.0);
        assertTrue(after.value("tokenkeeper_refresh_duration_seconds_sum", Map.of("provider", "gazelle")) >= 2.0,
                "each refresh took a second on the clock");
        assertTrue(after.value("tokenkeeper_nearest_expiry_seconds", Map.of()) > 0);
        assertTrue(after.value("jvm_memory_used_bytes", Map.of()) > 0, "JVM basics are there");
        for (PrometheusText.Sample sample : after.samples()) {
            assertFalse(sample.labels().containsKey("account"), "no account label: " + sample);
            for (String value : sample.labels().values()) {
                assertFalse(gazelle.allIssuedSecrets().contains(value), "a secret in a label");
            }
        }
    }

    /**
     * A forced refresh whose upstream answer takes a second on the clock (the refresh's duration is
     * measured on it): the imitation holds the answer until the test has moved the clock.
     */
    private void refreshTakingOneClockSecond() throws Exception {
        int before = gazelle.refreshRequestCount();
        gazelle.tokenFaultForNext(1, FakeGazelle.Fault.slow(Duration.ofSeconds(1)));
        CompletableFuture<HttpResponse<String>> refresh = CompletableFuture.supplyAsync(
                () -> daemon.call("POST", "/api/v1/credentials/gazelle:default/refresh?force=true", null));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (gazelle.refreshRequestCount() == before) {
            assertTrue(System.nanoTime() < deadline, "the refresh did not reach the imitation in 10 s");
            Thread.sleep(5);
        }
        clock.advance(Duration.ofSeconds(1));
        assertEquals(200, refresh.get(10, TimeUnit.SECONDS).statusCode());
    }

    private static String ok(HttpResponse<String> answer) {
        assertEquals(200, answer.statusCode(), answer.body());
        return answer.body();
    }

    private static void assertSeriesAtZero(PrometheusText metrics, String name, Map<String, String> labels) {
        List<PrometheusText.Sample> series = metrics.samples().stream()
                .filter(s -> s.name().equals(name) && s.labels().equals(labels)).toList();
        assertEquals(1, series.size(), "one series " + name + labels + " in /metrics");
        assertEquals(0.0, series.get(0).value(), name + labels);
    }
}
