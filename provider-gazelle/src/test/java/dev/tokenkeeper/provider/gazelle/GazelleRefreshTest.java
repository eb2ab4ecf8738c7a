package dev.tokenkeeper.provider.gazelle;

import dev.tokenkeeper.api.contract.TestContext;
import static dev.tokenkeeper.provider.gazelle.LeakCheck.assertNoSecretIn;
import static dev.tokenkeeper.provider.gazelle.LeakCheck.oneLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.IssuedSecret;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.RefreshResult.PermanentFailure;
import dev.tokenkeeper.api.RefreshResult.Refreshed;
import dev.tokenkeeper.api.RefreshResult.TransientFailure;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.provider.gazelle.FakeGazelle.Fault;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link GazelleProvider#refresh} against a {@link FakeGazelle}. */
class GazelleRefreshTest {

    @TempDir
    Path state;

    private FakeGazelle gazelle;
    private GazelleProvider provider;

    @BeforeEach
    void start() {
        gazelle = FakeGazelle.start().accessLifetime(Duration.ofSeconds(5));
        provider = configured(context());
    }

    @AfterEach
    void stop() {
        gazelle.close();
    }

    @Test
    void rotatesTheRefreshTokenOverSeveralCyclesSpendingEachExactlyOnce() throws Exception {
        SecretMaterial secret = imported("default");
        Set<String> usedRefreshTokens = new HashSet<>();
        for (int cycle = 1; cycle <= 5; cycle++) {
            String oldRefresh = secret.require("refresh_token");
            String oldAccess = secret.require("access_token");
            Instant before = Instant.now();
            RefreshResult result = provider.refresh(secret);
            Instant after = Instant.now();

            IssuedSecret issued = assertInstanceOf(Refreshed.class, result).issued();
            secret = issued.secret();
            assertTrue(usedRefreshTokens.add(oldRefresh));
            assertNotEquals(oldRefresh, secret.require("refresh_token"));
            assertEquals(gazelle.currentRefreshToken("default"), secret.require("refresh_token"));
            assertEquals(gazelle.currentAccessToken("default"), secret.require("access_token"));
            assertTrue(gazelle.isAccessTokenValid(secret.require("access_token")));
            assertFalse(gazelle.isAccessTokenValid(oldAccess), "the replaced access token must stop working");
            assertTrue(gazelle.spentRefreshTokens().contains(oldRefresh));
            assertEquals("Bearer", secret.require("token_type"));
            // created_at is whole seconds: the issue time is at most a second before the request.
            assertTrue(!issued.issuedAt().isBefore(before.minusSeconds(1)) && !issued.issuedAt().isAfter(after),
                    "issuedAt comes from created_at");
            assertEquals(Optional.of(issued.issuedAt().plusSeconds(5)), issued.accessExpiresAt());
            assertEquals(Optional.empty(), issued.refreshExpiresAt());
            assertNoSecretIn(gazelle.allIssuedSecrets(), result);
        }
        assertEquals(usedRefreshTokens, gazelle.spentRefreshTokens());
        assertEquals(0, gazelle.reuseCount());
        assertEquals(5, gazelle.refreshRequestCount());
        assertEquals(5, gazelle.refreshRequestTimes().size());
        assertEquals(5, gazelle.refreshesPerChain().get("default"));
        for (FakeGazelle.TokenRequest request : gazelle.tokenRequests()) {
            assertTrue(request.contentType().startsWith("application/x-www-form-urlencoded"), request.contentType());
            assertEquals("application/json", request.accept());
        }
    }

    @Test
    void keepsTheOldRefreshTokenWhenTheAnswerHasNone() throws Exception {
        gazelle.rotateRefreshTokens(false);
        SecretMaterial secret = imported("default");
        String refreshToken = secret.require("refresh_token");

        for (int cycle = 0; cycle < 2; cycle++) {
            String oldAccess = secret.require("access_token");
            secret = assertInstanceOf(Refreshed.class, provider.refresh(secret)).issued().secret();
            assertEquals(refreshToken, secret.require("refresh_token"));
            assertNotEquals(oldAccess, secret.require("access_token"));
            assertTrue(gazelle.isAccessTokenValid(secret.require("access_token")));
        }
        assertEquals(0, gazelle.reuseCount());
        assertTrue(gazelle.spentRefreshTokens().isEmpty());
    }

    @Test
    void aRevokedChainIsAPermanentFailureThatSaysWhatToDo() throws Exception {
        SecretMaterial secret = imported("default");
        gazelle.revokeChain("default");

        PermanentFailure failure = assertInstanceOf(PermanentFailure.class, provider.refresh(secret));
        assertEquals("refresh token rejected (invalid_grant): authorize again with `tokenkeeper authorize gazelle` "
                + "or import a new token", failure.reason());
        assertEquals(0, gazelle.reuseCount());
    }

    @Test
    void aSpentRefreshTokenIsRejectedAndTheFakeCountsTheReuse() throws Exception {
        SecretMaterial first = imported("default");
        assertInstanceOf(Refreshed.class, provider.refresh(first));

        PermanentFailure failure = assertInstanceOf(PermanentFailure.class, provider.refresh(first));
        assertTrue(failure.reason().contains("invalid_grant"), failure.reason());
        assertEquals(1, gazelle.reuseCount());
        assertNoSecretIn(gazelle.allIssuedSecrets(), failure);
    }

    @Test
    void invalidGrantFaultIsPermanent() throws Exception {
        SecretMaterial secret = imported("default");
        gazelle.tokenFault(Fault.invalidGrant());

        assertInstanceOf(PermanentFailure.class, provider.refresh(secret));
        assertInstanceOf(PermanentFailure.class, provider.refresh(secret));
        assertEquals(2, gazelle.refreshRequestCount());
    }

    @Test
    void aWrongClientSecretNamesTheSettingsButNotTheSecret() throws Exception {
        SecretMaterial secret = imported("default");
        String wrongSecret = "wrong-client-secret-" + System.nanoTime();
        GazelleProvider misconfigured = configured(context().with("GAZELLE_CLIENT_SECRET", wrongSecret));

        PermanentFailure failure = assertInstanceOf(PermanentFailure.class, misconfigured.refresh(secret));
        assertTrue(failure.reason().contains("invalid_client"), failure.reason());
        assertTrue(failure.reason().contains("GAZELLE_CLIENT_ID") && failure.reason().contains("GAZELLE_CLIENT_SECRET"),
                failure.reason());
        assertNoSecretIn(Set.of(wrongSecret), failure, misconfigured);
        assertNoSecretIn(gazelle.allIssuedSecrets(), failure);
        assertTrue(gazelle.spentRefreshTokens().isEmpty(), "a rejected client spends nothing");
    }

    @Test
    void withoutAClientIdNothingIsSentAndTheSettingIsNamed() throws Exception {
        SecretMaterial secret = imported("default");
        GazelleProvider unconfigured = configured(context().without("GAZELLE_CLIENT_ID"));

        PermanentFailure failure = assertInstanceOf(PermanentFailure.class, unconfigured.refresh(secret));
        assertTrue(failure.reason().startsWith("GAZELLE_CLIENT_ID is not set"), failure.reason());
        assertEquals(0, gazelle.refreshRequestCount());
    }

    @Test
    void aSecretWithoutRefreshTokenIsAPermanentFailure() {
        SecretMaterial accessOnly = new SecretMaterial(java.util.Map.of("access_token", "a"));
        PermanentFailure failure = assertInstanceOf(PermanentFailure.class, provider.refresh(accessOnly));
        assertTrue(failure.reason().contains("no refresh_token"), failure.reason());
        assertEquals(0, gazelle.refreshRequestCount());
    }

    static Stream<Arguments> transientFaults() {
        return Stream.of(
                Arguments.of(Fault.serviceUnavailable(), FailureKind.SERVER_ERROR, Optional.empty()),
                Arguments.of(Fault.serviceUnavailable(Duration.ofSeconds(7)), FailureKind.SERVER_ERROR,
                        Optional.of(Duration.ofSeconds(7))),
                Arguments.of(Fault.rateLimited(Duration.ofSeconds(42)), FailureKind.RATE_LIMITED,
                        Optional.of(Duration.ofSeconds(42))),
                Arguments.of(Fault.blocked(), FailureKind.BLOCKED, Optional.empty()),
                Arguments.of(Fault.dropConnection(), FailureKind.NETWORK, Optional.empty()),
                Arguments.of(Fault.malformedJson(), FailureKind.BAD_RESPONSE, Optional.empty()),
                Arguments.of(Fault.okWithoutToken(), FailureKind.BAD_RESPONSE, Optional.empty()));
    }

    @ParameterizedTest
    @MethodSource("transientFaults")
    void eachFaultIsATransientFailureOfTheRightKindAndSpendsNothing(Fault fault, FailureKind kind,
                                                                   Optional<Duration> retryAfter) throws Exception {
        SecretMaterial secret = imported("default");
        gazelle.tokenFaultForNext(1, fault);

        TransientFailure failure = assertInstanceOf(TransientFailure.class, provider.refresh(secret));
        assertEquals(kind, failure.kind());
        assertEquals(retryAfter, failure.retryAfter());
        oneLine(failure.reason());
        assertNoSecretIn(gazelle.allIssuedSecrets(), failure);

        // The fault was for one request only, and the refresh token was not spent: retrying works.
        assertInstanceOf(Refreshed.class, provider.refresh(secret));
        assertEquals(0, gazelle.reuseCount());
        assertEquals(2, gazelle.refreshRequestCount());
    }

    @Test
    void retryAfterAsAnHttpDateBecomesAWait() throws Exception {
        SecretMaterial secret = imported("default");
        gazelle.tokenFault(Fault.rateLimitedUntil(Instant.now().plusSeconds(120)));

        TransientFailure failure = assertInstanceOf(TransientFailure.class, provider.refresh(secret));
        assertEquals(FailureKind.RATE_LIMITED, failure.kind());
        long seconds = failure.retryAfter().orElseThrow().toSeconds();
        assertTrue(seconds >= 115 && seconds <= 120, "retry after " + seconds + " s");
    }

    @Test
    void aSlowTokenEndpointTimesOutAfterTheConfiguredSeconds() throws Exception {
        GazelleProvider impatient = configured(context().with("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "1"));
        SecretMaterial secret = imported("default");
        gazelle.tokenFault(Fault.slow(Duration.ofSeconds(20)));

        long start = System.nanoTime();
        TransientFailure failure = assertInstanceOf(TransientFailure.class, impatient.refresh(secret));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertEquals(FailureKind.NETWORK, failure.kind());
        assertTrue(failure.reason().contains("within 1 s"), failure.reason());
        // At least the timeout; well under the 20 s answer even on a loaded machine.
        assertTrue(took.compareTo(Duration.ofMillis(900)) >= 0 && took.compareTo(Duration.ofSeconds(12)) < 0,
                "took " + took.toMillis() + " ms");
    }

    @Test
    void anUnreachableTokenEndpointIsANetworkFailure() throws Exception {
        SecretMaterial secret = imported("default");
        gazelle.close();

        TransientFailure failure = assertInstanceOf(TransientFailure.class, provider.refresh(secret));
        assertEquals(FailureKind.NETWORK, failure.kind());
        oneLine(failure.reason());
    }

    @Test
    void aLostAnswerAfterRotationLeavesTheOldTokenSpent() throws Exception {
        // The failure mode the daemon's crash safety is about: the provider cannot tell, and says transient.
        SecretMaterial secret = imported("default");
        gazelle.tokenFaultForNext(1, Fault.dropAfterProcessing());

        assertEquals(FailureKind.NETWORK, assertInstanceOf(TransientFailure.class, provider.refresh(secret)).kind());
        assertTrue(gazelle.spentRefreshTokens().contains(secret.require("refresh_token")));
        assertInstanceOf(PermanentFailure.class, provider.refresh(secret));
        assertEquals(1, gazelle.reuseCount());
    }

    private SecretMaterial imported(String account) throws Exception {
        return provider.importSecret(new SecretInput.TokenJson(gazelle.seedChain(account))).issued().secret();
    }

    private TestContext context() {
        return TestContext.of(gazelle.settings(), state).with("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "5");
    }

    private static GazelleProvider configured(TestContext context) {
        GazelleProvider provider = new GazelleProvider();
        provider.configure(context);
        return provider;
    }
}
