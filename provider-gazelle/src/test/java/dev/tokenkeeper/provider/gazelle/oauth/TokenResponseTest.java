package dev.tokenkeeper.provider.gazelle.oauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenkeeper.api.IssuedSecret;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.provider.gazelle.secret.GazelleSecret;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** {@link TokenResponse} read as a stream: the answers it accepts and how it reads each field. */
class TokenResponseTest {

    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    private static final SecretMaterial BEFORE = GazelleSecret.material("old-access", "old-refresh", "Bearer");

    private static Optional<IssuedSecret> parse(String body) {
        return TokenResponse.parse(body.getBytes(StandardCharsets.UTF_8), BEFORE, NOW);
    }

    @Test
    void aFullAnswerGivesEveryField() {
        IssuedSecret issued = parse("{\"access_token\":\"a1\",\"refresh_token\":\"r1\",\"token_type\":\"bearer\","
                + "\"expires_in\":7200,\"created_at\":" + NOW.minusSeconds(10).getEpochSecond()
                + ",\"refresh_token_expires_in\":86400.5,\"scope\":\"public\"}").orElseThrow();
        assertEquals("a1", issued.secret().require(GazelleSecret.ACCESS_TOKEN));
        assertEquals("r1", issued.secret().require(GazelleSecret.REFRESH_TOKEN));
        assertEquals("Bearer", issued.secret().require(GazelleSecret.TOKEN_TYPE));
        assertEquals(NOW.minusSeconds(10), issued.issuedAt());
        assertEquals(Optional.of(NOW.minusSeconds(10).plusSeconds(7200)), issued.accessExpiresAt());
        assertEquals(Optional.of(NOW.minusSeconds(10).plusMillis(86_400_500)), issued.refreshExpiresAt());
    }

    @Test
    void whatIsMissingOrNotOfItsKindIsTakenFromBeforeOrLeftUnknown() {
        // Nested values, numbers as strings, a string as a number: read as absent, never as a failure.
        IssuedSecret issued = parse("{\"access_token\":\"a2\",\"refresh_token\":{\"nested\":[1,2,{\"x\":null}]},"
                + "\"token_type\":7,\"expires_in\":\"3600\",\"created_at\":true}").orElseThrow();
        assertEquals("a2", issued.secret().require(GazelleSecret.ACCESS_TOKEN));
        assertEquals("old-refresh", issued.secret().require(GazelleSecret.REFRESH_TOKEN));
        assertEquals("Bearer", issued.secret().require(GazelleSecret.TOKEN_TYPE));
        assertEquals(NOW, issued.issuedAt());
        assertEquals(Optional.empty(), issued.accessExpiresAt());
    }

    @Test
    void theLastOfTwoValuesOfOneNameCounts() {
        IssuedSecret issued = parse("{\"access_token\":\"first\",\"expires_in\":60,\"access_token\":\"second\","
                + "\"expires_in\":[1]}").orElseThrow();
        assertEquals("second", issued.secret().require(GazelleSecret.ACCESS_TOKEN));
        assertEquals(Optional.empty(), issued.accessExpiresAt());
    }

    @Test
    void anAnswerThatIsNotOneJsonObjectWithAnAccessTokenIsNotRead() {
        for (String body : new String[] {"", "[]", "\"a\"", "{\"access_token\":\"a\"} {}", "{\"access_token\":\"a\"",
                "{\"access_token\":\"  \"}", "{\"access_token\":null}", "{\"refresh_token\":\"r\"}",
                "{\"access_token\":\"a\",}", "null", "{\"access_token\":", "{\"access_token\"", "{"}) {
            assertTrue(parse(body).isEmpty(), body);
        }
    }
}
