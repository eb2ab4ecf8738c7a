package dev.tokenkeeper.provider.gazelle.config;

import dev.tokenkeeper.api.contract.TestContext;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;


import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link GazelleSettings}: defaults, parsing, and what a bad value says. */
class GazelleSettingsTest {

    @TempDir
    Path state;

    @Test
    void defaultsPointAtGazelle() {
        GazelleSettings settings = GazelleSettings.from(TestContext.of(Map.of(), state));
        assertEquals(URI.create("https://gazelleapp.io/developer/oauth/token"), settings.tokenUrl());
        assertEquals(URI.create("https://gazelleapp.io/developer/oauth/authorize"), settings.authorizeUrl());
        assertEquals(URI.create("https://gazelleapp.io/graphql/private"), settings.apiUrl());
        assertEquals(Optional.empty(), settings.clientId());
        assertEquals(Duration.ofSeconds(30), settings.requestTimeout());
        assertEquals(Duration.ofSeconds(10), settings.connectTimeout());
    }

    @Test
    void aShortTimeoutAlsoShortensTheConnectTimeout() {
        GazelleSettings settings = GazelleSettings.from(TestContext.of(
                Map.of("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", " 3 "), state));
        assertEquals(Duration.ofSeconds(3), settings.requestTimeout());
        assertEquals(Duration.ofSeconds(3), settings.connectTimeout());
    }

    @Test
    void aBadTimeoutIsNamed() {
        for (String value : new String[] {"0", "-1", "ten", "1.5", "99999"}) {
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> GazelleSettings.from(
                    TestContext.of(Map.of("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS", value), state)));
            assertTrue(error.getMessage().startsWith("TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS must be"), error.getMessage());
        }
    }

    @Test
    void everyUrlSettingIsChecked() {
        for (String name : new String[] {"GAZELLE_OAUTH_TOKEN_URL", "GAZELLE_OAUTH_AUTHORIZE_URL", "GAZELLE_API_URL"}) {
            for (String value : new String[] {"gazelleapp.io/token", "ftp://host/x", "http://", "not a url"}) {
                IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                        () -> GazelleSettings.from(TestContext.of(Map.of(name, value), state)));
                assertTrue(error.getMessage().startsWith(name + " is not an absolute http(s) URL"), error.getMessage());
            }
        }
    }

    @Test
    void toStringHidesTheClientSecret() {
        GazelleSettings settings = GazelleSettings.from(TestContext.of(
                Map.of("GAZELLE_CLIENT_ID", "id", "GAZELLE_CLIENT_SECRET", "very-secret-value"), state));
        assertEquals(Optional.of("very-secret-value"), settings.clientSecret());
        assertFalse(settings.toString().contains("very-secret-value"), settings.toString());
        assertTrue(settings.toString().contains("clientSecret=set"), settings.toString());
    }

    @Test
    void plainHttpIsRefusedExceptToThisMachine() {
        for (String name : new String[] {GazelleSettings.TOKEN_URL, GazelleSettings.AUTHORIZE_URL, GazelleSettings.API_URL}) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> GazelleSettings.from(
                    TestContext.of(Map.of(name, "http://gazelleapp.io/x"), state)), name);
            assertTrue(refused.getMessage().contains(name) && refused.getMessage().contains("use https://"),
                    refused.getMessage());
            assertTrue(GazelleSettings.from(TestContext.of(Map.of(name, "http://127.0.0.1:8080/x"), state)) != null);
            assertTrue(GazelleSettings.from(TestContext.of(Map.of(name, "http://localhost:8080/x"), state)) != null);
        }
    }
}
