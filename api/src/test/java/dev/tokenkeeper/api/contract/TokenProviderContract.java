package dev.tokenkeeper.api.contract;

import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.IssuedSecret;
import dev.tokenkeeper.api.Presentation;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.ValidationResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The promises of {@link TokenProvider}, as JUnit 5 tests: extend this class once per provider and
 * supply the provider, configured against a local imitation of its upstream, and a handle on that
 * imitation.
 *
 * <pre>{@code
 * class MyProviderContractTest extends TokenProviderContract {
 *     FakeUpstream fake = FakeUpstream.start();   // closed in an @AfterEach of yours
 *     protected TokenProvider provider() { ...configure against fake... }
 *     protected Upstream upstream() { return new Upstream() {
 *         public SecretInput newCredential() { return new SecretInput.TokenJson(fake.newChain()); }
 *         public void stop() { fake.close(); }
 *     }; }
 * }
 * }</pre>
 *
 * <p>Checked: import, refresh, validate and present from many threads at once for different
 * credentials, each refreshed several times; failures (an unreachable upstream, garbage material)
 * come back as results, never as exceptions; malformed input of every {@link SecretInput} form is
 * refused with an {@link InvalidSecretException} whose message holds no secret; no returned
 * object's {@code toString()} holds a secret; access-token lifetimes are reported.
 */
public abstract class TokenProviderContract {

    /** Credentials refreshed at once by {@link #differentCredentialsFromManyThreadsAtOnce}. */
    protected static final int CREDENTIALS = 8;
    /** Refreshes per credential in that test. */
    protected static final int ROUNDS = 3;

    /** What the kit needs of the upstream imitation. */
    public interface Upstream {

        /**
         * @return the input a user would import for a new, valid credential of its own (another
         *         account or session each call)
         */
        SecretInput newCredential();

        /** Makes the upstream unreachable (stop its server); called last by the test that uses it. */
        void stop();
    }

    /** @return the provider, {@link TokenProvider#configure configured} against {@link #upstream()}'s imitation */
    protected abstract TokenProvider provider();

    /** @return the handle on the upstream imitation the provider talks to */
    protected abstract Upstream upstream();

    /**
     * @return inputs this provider must refuse, beyond the kit's own malformed input of every form;
     *         none by default
     */
    protected List<SecretInput> malformedInputs() {
        return List.of();
    }

    @Test
    @Timeout(120)
    void differentCredentialsFromManyThreadsAtOnce() throws Exception {
        TokenProvider provider = provider();
        List<SecretMaterial> imported = new ArrayList<>();
        for (int i = 0; i < CREDENTIALS; i++) {
            ImportedSecret secret = provider.importSecret(upstream().newCredential());
            assertLifetimes(secret.issued(), "import");
            assertNoSecretInToString(secret, secret.issued().secret());
            imported.add(secret.issued().secret());
        }
        ExecutorService threads = Executors.newFixedThreadPool(CREDENTIALS);
        try {
            List<Future<SecretMaterial>> runs = new ArrayList<>();
            for (SecretMaterial start : imported) {
                runs.add(threads.submit(chain(provider, start)));
            }
            Set<String> tokens = new HashSet<>();
            for (Future<SecretMaterial> run : runs) {
                SecretMaterial last = run.get(100, TimeUnit.SECONDS);
                assertTrue(tokens.add(provider.present(last).token()), "each credential has a token of its own");
            }
        } finally {
            threads.shutdownNow();
            assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS), "every thread ended");
        }
    }

    private Callable<SecretMaterial> chain(TokenProvider provider, SecretMaterial start) {
        return () -> {
            SecretMaterial current = start;
            for (int round = 0; round < ROUNDS; round++) {
                RefreshResult result = provider.refresh(current);
                assertNoSecretInToString(result, current);
                IssuedSecret issued = assertInstanceOf(RefreshResult.Refreshed.class, result,
                        "refresh " + round + " of a valid credential: " + result).issued();
                assertLifetimes(issued, "refresh");
                assertNoSecretInToString(issued, issued.secret());
                current = issued.secret();
                ValidationResult validation = provider.validate(current);
                assertNoSecretInToString(validation, current);
                assertInstanceOf(ValidationResult.Accepted.class, validation, "a fresh token is accepted: " + validation);
                Presentation presentation = provider.present(current);
                assertFalse(presentation.token().isBlank(), "present gives a token");
                assertNoSecretInToString(presentation, current);
            }
            return current;
        };
    }

    @Test
    @Timeout(60)
    void failuresAreResultsNeverExceptions() throws Exception {
        TokenProvider provider = provider();
        SecretMaterial valid = provider.importSecret(upstream().newCredential()).issued().secret();
        Map<String, String> garbled = new java.util.LinkedHashMap<>();
        valid.fields().forEach((name, value) -> garbled.put(name, "garbled-" + Integer.toHexString(value.hashCode())));
        SecretMaterial garbage = new SecretMaterial(garbled);
        assertResult(provider, garbage, "garbled material");
        assertResult(provider, new SecretMaterial(Map.of()), "empty material");

        upstream().stop();
        assertResult(provider, valid, "an unreachable upstream");
        RefreshResult refresh = provider.refresh(valid);
        assertFalse(refresh instanceof RefreshResult.Refreshed, "nothing refreshes without the upstream: " + refresh);
    }

    private static void assertResult(TokenProvider provider, SecretMaterial material, String what) {
        try {
            RefreshResult refresh = provider.refresh(material);
            assertNotNull(refresh, "refresh of " + what + " returns a result");
            assertNoSecretInToString(refresh, material);
            ValidationResult validation = provider.validate(material);
            assertNotNull(validation, "validate of " + what + " returns a result");
            assertNoSecretInToString(validation, material);
        } catch (RuntimeException e) {
            fail("refresh/validate of " + what + " threw " + e.getClass().getName() + " instead of returning a failure", e);
        }
    }

    @Test
    void malformedInputOfEveryFormIsAnInvalidSecretWithoutTheSecretInItsMessage() {
        String secretish = "s3cr3t-" + Long.toHexString(Double.doubleToLongBits(Math.random()));
        List<SecretInput> inputs = new ArrayList<>(List.of(
                new SecretInput.CookieHeader(""),
                new SecretInput.CookieHeader("no-cookies-here " + secretish),
                new SecretInput.CookieHeader("access_token_web=" + secretish + "; refresh_token_web=" + secretish),
                new SecretInput.CookieFile(""),
                new SecretInput.CookieFile("[{\"name\": \"x\", \"value\": \"" + secretish + "\""),
                new SecretInput.TokenJson(""),
                new SecretInput.TokenJson("{\"access_token\": \"" + secretish + "\""),
                new SecretInput.TokenJson("[\"" + secretish + "\"]"),
                new SecretInput.AuthorizationCode(" ", URI.create("http://127.0.0.1:1/callback"))));
        inputs.addAll(malformedInputs());
        TokenProvider provider = provider();
        for (SecretInput input : inputs) {
            try {
                ImportedSecret imported = provider.importSecret(input);
                fail(input.form() + " input was accepted: " + imported.warnings());
            } catch (InvalidSecretException e) {
                String message = e.getMessage();
                assertNotNull(message, "the message says what was wrong");
                assertFalse(message.isBlank(), "the message says what was wrong");
                assertFalse(message.contains(secretish), "the message quotes no secret: " + message);
                assertEquals(1, message.lines().count(), "one line: " + message);
            } catch (RuntimeException e) {
                fail(input.form() + " input threw " + e.getClass().getName() + ", not InvalidSecretException", e);
            }
        }
    }

    private static void assertLifetimes(IssuedSecret issued, String what) {
        assertNotNull(issued.issuedAt(), what + " reports when it was issued");
        assertTrue(issued.accessExpiresAt().isPresent(), what + " reports the access token's expiry");
        assertTrue(issued.accessExpiresAt().get().isAfter(issued.issuedAt()),
                what + " reports an access token that expires after it was issued");
    }

    /** Values shorter than 8 characters (a token type, a flag) are not taken for secrets. */
    private static void assertNoSecretInToString(Object answer, SecretMaterial secrets) {
        String text = String.valueOf(answer);
        for (Map.Entry<String, String> field : secrets.fields().entrySet()) {
            if (field.getValue().length() >= 8) {
                assertFalse(text.contains(field.getValue()), answer.getClass().getSimpleName()
                        + ".toString() holds the secret field " + field.getKey());
            }
        }
    }
}
