package dev.tokenkeeper.daemon.notify;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.StoredCredential;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SituationTrackerTest {

    private static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");
    private static final CredentialId ID = new CredentialId("gazelle", "shop");
    private static final SituationTracker.Thresholds THRESHOLDS = new SituationTracker.Thresholds(
            Duration.ofMinutes(30), Duration.ofDays(7), Duration.ofDays(1));

    /** A provider with a browser authorization, as Gazelle's: its credentials are renewed with {@code authorize}. */
    private final SituationTracker tracker = new SituationTracker(THRESHOLDS, "box", Map.of(),
            provider -> java.util.Set.of("token-json", "authorization-code"));
    private long version;

    private StoredCredential credential(CredentialStatus status, Optional<String> error, Instant lastRefresh,
                                        Optional<Instant> refreshEnd) {
        version++;
        return new StoredCredential(ID, status, SealedSecret.of(new byte[] {(byte) version}), lastRefresh,
                Optional.of(lastRefresh.plus(Duration.ofHours(2))), refreshEnd, version, Optional.of(lastRefresh), error,
                lastRefresh);
    }

    private List<String> events(List<Optional<Notification>> raised) {
        List<String> out = new ArrayList<>();
        raised.forEach(event -> event.ifPresent(e -> out.add(e.event().wireName())));
        return out;
    }

    @Test
    void permanentFailureOnceThenRecoveredOnReimport() {
        List<Optional<Notification>> raised = new ArrayList<>();
        raised.add(tracker.observe(credential(CredentialStatus.ACTIVE, Optional.empty(), T0, Optional.empty()), T0));
        StoredCredential broken = credential(CredentialStatus.REQUIRES_CONFIGURATION,
                Optional.of("invalid_grant: The provided authorization grant is invalid"), T0, Optional.empty());
        Optional<Notification> first = tracker.observe(broken, T0.plusSeconds(10));
        raised.add(first);
        for (int i = 0; i < 5; i++) {
            raised.add(tracker.observe(broken, T0.plusSeconds(20 + i)));
        }
        raised.add(tracker.observe(credential(CredentialStatus.ACTIVE, Optional.empty(), T0.plusSeconds(60),
                Optional.empty()), T0.plusSeconds(60)));
        raised.add(tracker.observe(credential(CredentialStatus.ACTIVE, Optional.empty(), T0.plusSeconds(90),
                Optional.empty()), T0.plusSeconds(90)));
        assertEquals(List.of("requires_configuration", "recovered"), events(raised));
        Notification event = first.orElseThrow();
        assertEquals("gazelle:shop", event.credential());
        assertEquals("requires_configuration", event.status());
        assertEquals("tokenkeeper authorize gazelle --account shop", event.command().orElseThrow());
        assertTrue(event.text().contains("gazelle:shop") && event.text().contains("invalid_grant")
                && event.text().contains("tokenkeeper authorize gazelle --account shop"), event.text());
        assertEquals("box", event.host());
    }

    @Test
    void transientFailuresRaiseFailingOnlyAfterTheThresholdAndExpiredOnce() {
        List<Optional<Notification>> raised = new ArrayList<>();
        StoredCredential failing = credential(CredentialStatus.ACTIVE, Optional.of("network: timeout"), T0, Optional.empty());
        for (int minute = 0; minute < 29; minute += 5) {
            raised.add(tracker.observe(failing, T0.plus(Duration.ofMinutes(minute))));
        }
        assertEquals(List.of(), events(raised));
        raised.add(tracker.observe(failing, T0.plus(Duration.ofMinutes(30))));
        raised.add(tracker.observe(failing, T0.plus(Duration.ofMinutes(45))));
        StoredCredential expired = credential(CredentialStatus.EXPIRED, Optional.of("network: timeout"), T0, Optional.empty());
        raised.add(tracker.observe(expired, T0.plus(Duration.ofHours(2))));
        raised.add(tracker.observe(expired, T0.plus(Duration.ofHours(3))));
        raised.add(tracker.observe(credential(CredentialStatus.ACTIVE, Optional.empty(), T0.plus(Duration.ofHours(4)),
                Optional.empty()), T0.plus(Duration.ofHours(4))));
        assertEquals(List.of("failing", "expired", "recovered"), events(raised));
    }

    @Test
    void shortFailuresRaiseNothing() {
        assertTrue(tracker.observe(credential(CredentialStatus.ACTIVE, Optional.of("http_5xx: 502"), T0, Optional.empty()),
                T0).isEmpty());
        assertTrue(tracker.observe(credential(CredentialStatus.ACTIVE, Optional.empty(), T0.plusSeconds(60), Optional.empty()),
                T0.plusSeconds(60)).isEmpty(), "no recovered without a problem event before it");
    }

    @Test
    void fixedChainEndRaisesExpiringAtEachThresholdOnce() {
        Instant end = T0.plus(Duration.ofDays(10));
        List<Optional<Notification>> raised = new ArrayList<>();
        raised.add(tracker.observe(credential(CredentialStatus.ACTIVE, Optional.empty(), T0, Optional.of(end)), T0));
        // Refreshes that leave the end where it is: the chain cannot be renewed by refreshing.
        for (int day = 1; day <= 9; day++) {
            Instant at = T0.plus(Duration.ofDays(day));
            StoredCredential refreshed = credential(CredentialStatus.ACTIVE, Optional.empty(), at, Optional.of(end.plusMillis(400)));
            raised.add(tracker.observe(refreshed, at));
            raised.add(tracker.observe(refreshed, at.plus(Duration.ofHours(12))));
        }
        assertEquals(List.of("expiring", "expiring"), events(raised));
        List<Notification> both = raised.stream().flatMap(Optional::stream).toList();
        assertTrue(both.get(0).at().isAfter(end.minus(Duration.ofDays(7)).minusSeconds(1)), both.get(0).at().toString());
        assertTrue(both.get(1).at().isAfter(end.minus(Duration.ofDays(1)).minusSeconds(1)), both.get(1).at().toString());
        assertEquals(end, both.get(1).refreshExpiresAt().orElseThrow().minusMillis(400));
        // A new chain (re-import) with an end far away: recovered.
        Instant later = end.minus(Duration.ofHours(6));
        assertEquals("recovered", tracker.observe(credential(CredentialStatus.ACTIVE, Optional.empty(), later,
                Optional.of(later.plus(Duration.ofDays(30)))), later).orElseThrow().event().wireName());
    }

    @Test
    void rotatingChainWithAShortLifeIsNotExpiring() {
        List<Optional<Notification>> raised = new ArrayList<>();
        for (int hour = 0; hour < 48; hour += 2) {
            Instant at = T0.plus(Duration.ofHours(hour));
            raised.add(tracker.observe(credential(CredentialStatus.ACTIVE, Optional.empty(), at,
                    Optional.of(at.plus(Duration.ofDays(7)))), at));
        }
        assertEquals(List.of(), events(raised));
    }

    @Test
    void twoRefreshesMomentsApartDoNotMakeARotatingChainLookFixed() {
        Instant end = T0.plus(Duration.ofMinutes(30));
        assertTrue(tracker.observe(credential(CredentialStatus.ACTIVE, Optional.empty(), T0, Optional.of(end)), T0).isEmpty());
        Instant soon = T0.plusMillis(700);
        assertTrue(tracker.observe(credential(CredentialStatus.ACTIVE, Optional.empty(), soon,
                Optional.of(end.plusMillis(700))), soon).isEmpty());
        Instant later = T0.plus(Duration.ofMinutes(10));
        assertTrue(tracker.observe(credential(CredentialStatus.ACTIVE, Optional.empty(), later,
                Optional.of(later.plus(Duration.ofMinutes(30)))), later).isEmpty());
    }

    @Test
    void memoryCarriesOverARestart() {
        StoredCredential broken = credential(CredentialStatus.REQUIRES_CONFIGURATION, Optional.of("invalid_grant"), T0,
                Optional.empty());
        assertTrue(tracker.observe(broken, T0).isPresent());
        SituationTracker restarted = new SituationTracker(THRESHOLDS, "box", tracker.snapshot());
        assertFalse(restarted.observe(broken, T0.plusSeconds(5)).isPresent());
        assertEquals("recovered", restarted.observe(credential(CredentialStatus.ACTIVE, Optional.empty(), T0.plusSeconds(9),
                Optional.empty()), T0.plusSeconds(9)).orElseThrow().event().wireName());
    }

    @Test
    void eventJsonHasTheContractFieldsAndRoundTrips() {
        Notification event = tracker.observe(credential(CredentialStatus.REQUIRES_CONFIGURATION, Optional.of("invalid_grant"),
                T0, Optional.empty()), T0).orElseThrow();
        var json = event.toJson();
        for (String field : List.of("event", "credential", "provider", "account", "status", "reason", "at", "host", "text",
                "content", "command", "accessExpiresAt")) {
            assertTrue(json.hasNonNull(field), field + " missing from " + json);
        }
        assertEquals(json.path("text").asText(), json.path("content").asText());
        assertEquals(event, Notification.fromJson(json));
    }
}
