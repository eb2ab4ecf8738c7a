package dev.tokenkeeper.provider.gazelle.secret;

import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link AccessTokenImport}: what people copy from the developer tools, and what it is not. */
class AccessTokenImportTest {

    private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");
    private static final String ACCESS = "SECRET-ACCESS-8d1fQz_w-9";

    @ParameterizedTest
    @ValueSource(strings = {ACCESS, "Bearer " + ACCESS, "bearer  " + ACCESS + "\n", "Authorization: Bearer " + ACCESS,
            "authorization:Bearer " + ACCESS, "  Authorization:   bearer " + ACCESS + "  \r\n"})
    void takesTheBareTokenTheBearerValueAndTheHeaderLine(String pasted) throws Exception {
        ImportedSecret imported = AccessTokenImport.read(pasted, NOW);
        assertEquals(ACCESS, imported.issued().secret().require("access_token"));
        assertEquals("Bearer", imported.issued().secret().require("token_type"));
        assertFalse(GazelleSecret.refreshes(imported.issued().secret()));
        Instant end = NOW.plus(Duration.ofDays(30));
        assertEquals(Optional.of(end), imported.issued().accessExpiresAt());
        assertEquals(Optional.of(end), imported.issued().refreshExpiresAt());
        assertTrue(imported.warnings().stream().anyMatch(w -> w.contains("issue time is unknown")), imported.warnings().toString());
        assertTrue(imported.warnings().stream().anyMatch(w -> w.contains("no refresh token") && w.contains(end.toString())
                && w.contains(AccessTokenImport.COMMAND)), imported.warnings().toString());
        imported.warnings().forEach(w -> assertFalse(w.contains("SECRET"), w));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "Authorization: Bearer ", "{\"access_token\":\"SECRET-ACCESS-1\"}",
            "SECRET-ACCESS one two", "SECRET-ACCESS\nSECRET-LINE-2", "SECRET", "SECRET-ACCESS-é"})
    void refusesWhatIsNotOneTokenQuotingNothing(String pasted) {
        InvalidSecretException e = assertThrows(InvalidSecretException.class, () -> AccessTokenImport.read(pasted, NOW));
        assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith("the access token") || e.getMessage().startsWith("this looks like a token JSON"),
                e.getMessage());
    }
}
