package dev.tokenkeeper.provider.gazelle;

import dev.tokenkeeper.api.contract.TestContext;
import static dev.tokenkeeper.provider.gazelle.LeakCheck.assertNoSecretIn;
import static dev.tokenkeeper.provider.gazelle.LeakCheck.oneLine;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.FailureKind;
import dev.tokenkeeper.api.RefreshResult.Refreshed;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.ValidationResult;
import dev.tokenkeeper.api.ValidationResult.Accepted;
import dev.tokenkeeper.api.ValidationResult.Inconclusive;
import dev.tokenkeeper.api.ValidationResult.Rejected;
import dev.tokenkeeper.provider.gazelle.FakeGazelle.Fault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link GazelleProvider#validate} against a {@link FakeGazelle}. */
class GazelleValidateTest {

    @TempDir
    Path state;

    private FakeGazelle gazelle;
    private GazelleProvider provider;

    @BeforeEach
    void start() {
        gazelle = FakeGazelle.start();
        provider = configured(TestContext.of(gazelle.settings(), state));
    }

    @AfterEach
    void stop() {
        gazelle.close();
    }

    @Test
    void aCurrentAccessTokenIsAccepted() throws Exception {
        assertInstanceOf(Accepted.class, provider.validate(imported()));
        assertEquals(1, gazelle.apiRequestCount());
    }

    @Test
    void theApiUrlWithATrailingSlashWorksToo() throws Exception {
        SecretMaterial secret = imported();
        GazelleProvider withSlash = configured(TestContext.of(gazelle.settings(), state)
                .with("GAZELLE_API_URL", gazelle.apiUrl() + "/"));
        assertInstanceOf(Accepted.class, withSlash.validate(secret));
    }

    @Test
    void aLowerCaseBearerTypeIsSentAsBearer() throws Exception {
        SecretMaterial secret = imported().with("token_type", "bearer");
        assertInstanceOf(Accepted.class, provider.validate(secret));
    }

    @Test
    void aRevokedAccessTokenIsRejected() throws Exception {
        SecretMaterial secret = imported();
        gazelle.revokeAccessToken("default");

        Rejected rejected = assertInstanceOf(Rejected.class, provider.validate(secret));
        assertTrue(rejected.reason().contains("401"), rejected.reason());
        assertNoSecretIn(gazelle.allIssuedSecrets(), rejected);
    }

    @Test
    void anExpiredAccessTokenIsRejectedAndARefreshRevivesIt() throws Exception {
        gazelle.accessLifetime(Duration.ofSeconds(2));
        SecretMaterial secret = imported();
        assertInstanceOf(Accepted.class, provider.validate(secret));

        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> !gazelle.isAccessTokenValid(secret.require("access_token")));
        assertInstanceOf(Rejected.class, provider.validate(secret));

        SecretMaterial refreshed = assertInstanceOf(Refreshed.class, provider.refresh(secret)).issued().secret();
        assertInstanceOf(Accepted.class, provider.validate(refreshed));
    }

    @Test
    void aReplacedAccessTokenIsRejected() throws Exception {
        SecretMaterial secret = imported();
        SecretMaterial refreshed = assertInstanceOf(Refreshed.class, provider.refresh(secret)).issued().secret();

        assertInstanceOf(Rejected.class, provider.validate(secret));
        assertInstanceOf(Accepted.class, provider.validate(refreshed));
    }

    @Test
    void aSecretWithoutAccessTokenIsRejectedWithoutACall() {
        SecretMaterial refreshOnly = new SecretMaterial(java.util.Map.of("refresh_token", "r"));
        assertInstanceOf(Rejected.class, provider.validate(refreshOnly));
        assertEquals(0, gazelle.apiRequestCount());
    }

    static Stream<Arguments> answers() {
        return Stream.of(
                Arguments.of(Fault.invalidGrant(), Rejected.class, null, Optional.empty()),
                Arguments.of(Fault.graphqlUnauthenticated(), Rejected.class, null, Optional.empty()),
                Arguments.of(Fault.graphqlError(), Accepted.class, null, Optional.empty()),
                Arguments.of(Fault.okWithoutToken(), Accepted.class, null, Optional.empty()),
                Arguments.of(Fault.blocked(), Inconclusive.class, FailureKind.BLOCKED, Optional.empty()),
                Arguments.of(Fault.rateLimited(Duration.ofSeconds(30)), Inconclusive.class, FailureKind.RATE_LIMITED,
                        Optional.of(Duration.ofSeconds(30))),
                Arguments.of(Fault.serviceUnavailable(Duration.ofSeconds(9)), Inconclusive.class,
                        FailureKind.SERVER_ERROR, Optional.of(Duration.ofSeconds(9))),
                Arguments.of(Fault.serviceUnavailable(), Inconclusive.class, FailureKind.SERVER_ERROR, Optional.empty()),
                Arguments.of(Fault.dropConnection(), Inconclusive.class, FailureKind.NETWORK, Optional.empty()),
                Arguments.of(Fault.malformedJson(), Inconclusive.class, FailureKind.BAD_RESPONSE, Optional.empty()));
    }

    @ParameterizedTest
    @MethodSource("answers")
    void eachApiAnswerMapsToItsResult(Fault fault, Class<? extends ValidationResult> expected, FailureKind kind,
                                      Optional<Duration> retryAfter) throws Exception {
        SecretMaterial secret = imported();
        gazelle.apiFaultForNext(1, fault);

        ValidationResult result = provider.validate(secret);
        assertInstanceOf(expected, result);
        if (result instanceof Inconclusive inconclusive) {
            assertEquals(kind, inconclusive.kind());
            assertEquals(retryAfter, inconclusive.retryAfter());
            oneLine(inconclusive.reason());
        }
        assertNoSecretIn(gazelle.allIssuedSecrets(), result);
        assertInstanceOf(Accepted.class, provider.validate(secret), "the fault was for one request only");
    }

    @Test
    void aSlowApiIsInconclusiveAfterTheTimeout() throws Exception {
        GazelleProvider impatient = configured(TestContext.of(gazelle.settings(), state)
                .with("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", "1"));
        SecretMaterial secret = imported();
        gazelle.apiFault(Fault.slow(Duration.ofSeconds(4)));

        Inconclusive result = assertInstanceOf(Inconclusive.class, impatient.validate(secret));
        assertEquals(FailureKind.NETWORK, result.kind());
    }

    private SecretMaterial imported() throws Exception {
        return provider.importSecret(new SecretInput.TokenJson(gazelle.seedChain("default"))).issued().secret();
    }

    private static GazelleProvider configured(TestContext context) {
        GazelleProvider provider = new GazelleProvider();
        provider.configure(context);
        return provider;
    }
}
