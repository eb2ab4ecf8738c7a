package dev.tokenkeeper.provider.gazelle.secret;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.IssuedSecret;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link TokenJsonImport}: the shapes existing deployments keep, and every way to get them wrong. */
class TokenJsonImportTest {

    private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");
    private static final String ACCESS = "SECRET-ACCESS-8d1f";
    private static final String REFRESH = "SECRET-REFRESH-77aa";

    @Test
    void readsTheSupabaseObject() throws Exception {
        long createdAt = NOW.minusSeconds(3600).getEpochSecond();
        ImportedSecret imported = TokenJsonImport.read("{\"access_token\":\"" + ACCESS + "\",\"refresh_token\":\""
                + REFRESH + "\",\"expires_in\":2592000,\"created_at\":" + createdAt + "}", NOW);

        IssuedSecret issued = imported.issued();
        assertEquals(ACCESS, issued.secret().require("access_token"));
        assertEquals(REFRESH, issued.secret().require("refresh_token"));
        assertEquals("Bearer", issued.secret().require("token_type"));
        assertEquals(Instant.ofEpochSecond(createdAt), issued.issuedAt());
        assertEquals(Optional.of(Instant.ofEpochSecond(createdAt + 2592000)), issued.accessExpiresAt());
        assertEquals(Optional.empty(), issued.refreshExpiresAt());
        assertEquals(List.of(), imported.warnings());
    }

    @Test
    void readsTheDoorkeeperAnswerWithTypeScopeAndFractionalCreatedAt() throws Exception {
        IssuedSecret issued = TokenJsonImport.read("{\"access_token\":\"a\",\"token_type\":\"bearer\","
                + "\"expires_in\":7200,\"refresh_token\":\"r\",\"scope\":\"\",\"created_at\":1740830400.25,"
                + "\"refresh_token_expires_in\":86400}", NOW).issued();
        assertEquals("Bearer", issued.secret().require("token_type"));
        assertEquals(Instant.parse("2025-03-01T12:00:00.250Z"), issued.issuedAt());
        assertEquals(Optional.of(issued.issuedAt().plusSeconds(86400)), issued.refreshExpiresAt());
    }

    @Test
    void readsTheSystemSettingsRowWithAnObjectValue() throws Exception {
        ImportedSecret imported = TokenJsonImport.read("{\"id\":3,\"key\":\"gazelle_oauth_token\",\"value\":"
                + "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_in\":60,\"created_at\":"
                + NOW.getEpochSecond() + "},\"updated_at\":\"2025-03-01T12:00:00Z\"}", NOW);
        assertEquals("r", imported.issued().secret().require("refresh_token"));
        assertEquals(List.of(), imported.warnings());
    }

    @Test
    void readsTheSystemSettingsRowWithAStringValue() throws Exception {
        ImportedSecret imported = TokenJsonImport.read("{\"key\":\"gazelle_oauth_token\",\"value\":"
                + "\"{\\\"access_token\\\":\\\"a\\\",\\\"refresh_token\\\":\\\"r\\\",\\\"expires_in\\\":60,"
                + "\\\"created_at\\\":" + NOW.getEpochSecond() + "}\"}", NOW);
        assertEquals("a", imported.issued().secret().require("access_token"));
        assertEquals(Optional.of(NOW.plusSeconds(60)), imported.issued().accessExpiresAt());
    }

    @Test
    void aRowWithAnotherKeyIsImportedWithAWarning() throws Exception {
        ImportedSecret imported = TokenJsonImport.read("{\"key\":\"other_token\",\"value\":{\"access_token\":\"a\","
                + "\"refresh_token\":\"r\",\"expires_in\":60,\"created_at\":" + NOW.getEpochSecond() + "}}", NOW);
        assertEquals(1, imported.warnings().size());
        assertTrue(imported.warnings().get(0).contains("other_token"), imported.warnings().get(0));
    }

    @Test
    void missingCreatedAtMeansNowWithAWarning() throws Exception {
        ImportedSecret imported = TokenJsonImport.read(
                "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_in\":60}", NOW);
        assertEquals(NOW, imported.issued().issuedAt());
        assertEquals(Optional.of(NOW.plusSeconds(60)), imported.issued().accessExpiresAt());
        assertTrue(imported.warnings().get(0).startsWith("created_at is missing"), imported.warnings().toString());
    }

    @Test
    void missingExpiresInMeansAnUnknownExpiry() throws Exception {
        ImportedSecret imported = TokenJsonImport.read("{\"access_token\":\"a\",\"refresh_token\":\"r\","
                + "\"created_at\":" + NOW.getEpochSecond() + ",\"expires_in\":null}", NOW);
        assertEquals(Optional.empty(), imported.issued().accessExpiresAt());
        assertTrue(imported.warnings().get(0).startsWith("expires_in is missing"), imported.warnings().toString());
    }

    @Test
    void anExpiredAccessTokenIsImportedWithAWarning() throws Exception {
        long createdAt = NOW.minus(Duration.ofDays(31)).getEpochSecond();
        ImportedSecret imported = TokenJsonImport.read("{\"access_token\":\"a\",\"refresh_token\":\"r\","
                + "\"expires_in\":2592000,\"created_at\":" + createdAt + "}", NOW);
        assertTrue(imported.warnings().get(0).startsWith("the access token expired at"), imported.warnings().toString());
    }

    static Stream<Arguments> malformed() {
        String ok = "\"access_token\":\"" + ACCESS + "\",\"refresh_token\":\"" + REFRESH + "\"";
        return Stream.of(
                Arguments.of("", "the token JSON is empty"),
                Arguments.of("   \n ", "the token JSON is empty"),
                Arguments.of("{" + ok + ", oops}", "the token JSON is not valid JSON (line 1, column"),
                Arguments.of(ACCESS, "the token JSON is not valid JSON"),
                Arguments.of("{" + ok + "} trailing", "the token JSON is not valid JSON"),
                Arguments.of("[{" + ok + "}]", "the token JSON is an array, not an object"),
                Arguments.of("\"" + ACCESS + "\"", "the token JSON is a string, not an object"),
                Arguments.of("42", "the token JSON is a number, not an object"),
                Arguments.of("{}", "the token JSON has no access_token"),
                Arguments.of("{\"refresh_token\":\"" + REFRESH + "\"}", "the token JSON has no access_token"),
                Arguments.of("{\"access_token\":\"  \",\"refresh_token\":\"" + REFRESH + "\"}",
                        "access_token in the token JSON is blank"),
                Arguments.of("{\"access_token\":42,\"refresh_token\":\"" + REFRESH + "\"}",
                        "access_token in the token JSON must be a string, found a number"),
                Arguments.of("{\"access_token\":\"" + ACCESS + "\",\"refresh_token\":\"\"}",
                        "refresh_token in the token JSON is blank: leave it out to import the access token alone"),
                Arguments.of("{\"access_token\":\"" + ACCESS + "\",\"expires_in\":60,\"created_at\":"
                        + NOW.minusSeconds(61).getEpochSecond() + "}", "the access token expired at "),
                Arguments.of("{\"access_token\":\"" + ACCESS + "\",\"refresh_token\":{\"v\":\"" + REFRESH + "\"}}",
                        "refresh_token in the token JSON must be a string, found an object"),
                Arguments.of("{" + ok + ",\"expires_in\":\"7200\"}",
                        "expires_in in the token JSON must be a number, found a string"),
                Arguments.of("{" + ok + ",\"expires_in\":-5}", "expires_in in the token JSON is negative"),
                Arguments.of("{" + ok + ",\"expires_in\":1e300}", "expires_in in the token JSON is more than a hundred"),
                Arguments.of("{" + ok + ",\"created_at\":\"2025-03-01\"}",
                        "created_at in the token JSON must be a number, found a string"),
                Arguments.of("{" + ok + ",\"created_at\":1740830400000}", "created_at in the token JSON looks like "
                        + "milliseconds"),
                Arguments.of("{" + ok + ",\"token_type\":true}",
                        "token_type in the token JSON must be a string, found a boolean"),
                Arguments.of("{\"key\":\"gazelle_oauth_token\",\"value\":null}",
                        "the value of the system_settings row is null"),
                Arguments.of("{\"key\":\"gazelle_oauth_token\",\"value\":7}",
                        "the value of the system_settings row is a number"),
                Arguments.of("{\"key\":\"gazelle_oauth_token\",\"value\":\"{" + ok.replace("\"", "\\\"") + "\"}",
                        "the value of the system_settings row is not valid JSON"),
                Arguments.of("{\"key\":\"gazelle_oauth_token\",\"value\":\"[1]\"}",
                        "the value of the system_settings row holds an array, not an object"),
                Arguments.of("{\"key\":[1],\"value\":{" + ok + "}}",
                        "the key of the system_settings row is an array, not a string"),
                Arguments.of("{\"key\":\"gazelle_oauth_token\",\"value\":{\"refresh_token\":\"" + REFRESH + "\"}}",
                        "the token JSON has no access_token"));
    }

    /** The originals store refresh_token "only if available": without one, the token is served until it expires. */
    @Test
    void anAccessTokenWithoutRefreshTokenEndsWhenItExpires() throws Exception {
        long createdAt = NOW.minusSeconds(3600).getEpochSecond();
        for (String json : List.of("{\"access_token\":\"" + ACCESS + "\",\"expires_in\":2592000,\"created_at\":" + createdAt + "}",
                "{\"access_token\":\"" + ACCESS + "\",\"refresh_token\":null,\"expires_in\":2592000,\"created_at\":"
                        + createdAt + "}")) {
            ImportedSecret imported = TokenJsonImport.read(json, NOW);
            IssuedSecret issued = imported.issued();
            Instant end = Instant.ofEpochSecond(createdAt + 2592000);
            assertEquals(ACCESS, issued.secret().require("access_token"));
            assertEquals(Optional.empty(), issued.secret().field("refresh_token"));
            assertFalse(GazelleSecret.refreshes(issued.secret()));
            assertEquals(Optional.of(end), issued.accessExpiresAt());
            assertEquals(Optional.of(end), issued.refreshExpiresAt(), "the credential ends with its access token");
            assertTrue(imported.warnings().stream().anyMatch(w -> w.startsWith("no refresh token: tokenkeeper cannot "
                    + "refresh it and serves it until " + end + "; import again before then")), imported.warnings().toString());
        }
        ImportedSecret noExpiry = TokenJsonImport.read("{\"access_token\":\"" + ACCESS + "\"}", NOW);
        assertEquals(Optional.of(NOW.plus(Duration.ofDays(30))), noExpiry.issued().accessExpiresAt(),
                "Gazelle's 30 days when the JSON does not say");
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void malformedInputIsRejectedNamingTheProblemAndQuotingNoSecret(String json, String expected) {
        InvalidSecretException error = assertThrows(InvalidSecretException.class, () -> TokenJsonImport.read(json, NOW));
        String message = error.getMessage();
        assertTrue(message.startsWith(expected), () -> "expected '" + expected + "...' but was: " + message);
        assertFalse(message.contains("\n"), "one line");
        assertFalse(message.contains("SECRET"), () -> "the message quotes a token: " + message);
    }
}
