package dev.tokenkeeper.provider.vinted.upstream;

import dev.tokenkeeper.api.contract.TestContext;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VintedSettingsTest {

    @Test
    void defaults() {
        VintedSettings settings = VintedSettings.from(new TestContext(Map.of(), Path.of("."), Clock.systemUTC()));
        assertEquals(URI.create("https://www.vinted.fr"), settings.baseUrl());
        assertEquals(Duration.ofSeconds(30), settings.timeout());
        assertEquals(10, settings.maxRequestsPer5Min());
        assertEquals(Duration.ofSeconds(900), settings.blockedBackoff());
        assertTrue(settings.userAgent().contains("Chrome/"));
        assertTrue(settings.acceptLanguage().startsWith("fr-FR"));
    }

    @Test
    void perCountrySiteWithoutTrailingSlash() {
        VintedSettings settings = VintedSettings.from(new TestContext(Map.of("VINTED_BASE_URL", " https://www.vinted.de/ ",
                "VINTED_MAX_REQUESTS_PER_5_MIN", "6", "VINTED_BLOCKED_BACKOFF_SECONDS", "0"), Path.of("."), Clock.systemUTC()));
        assertEquals(URI.create("https://www.vinted.de"), settings.baseUrl());
        assertEquals(URI.create("https://www.vinted.de/web/api/auth/refresh"), settings.resolve("/web/api/auth/refresh"));
        assertEquals("www.vinted.de", settings.host());
        assertTrue(settings.acceptLanguage().startsWith("de-DE"));
        assertEquals(6, settings.maxRequestsPer5Min());
        assertEquals(Duration.ZERO, settings.blockedBackoff());
        assertEquals("en-GB,en;q=0.9", VintedSettings.from(new TestContext(Map.of("VINTED_BASE_URL", "https://www.vinted.co.uk"),
                Path.of("."), Clock.systemUTC())).acceptLanguage());
    }

    @Test
    void plainHttpIsRefusedExceptToThisMachine() {
        IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> VintedSettings.from(new TestContext(Map.of("VINTED_BASE_URL", "http://www.vinted.fr"), Path.of("."),
                        Clock.systemUTC())));
        org.junit.jupiter.api.Assertions.assertTrue(refused.getMessage().contains("use https://"), refused.getMessage());
        assertEquals(URI.create("http://127.0.0.1:9999"), VintedSettings.from(new TestContext(
                Map.of("VINTED_BASE_URL", "http://127.0.0.1:9999"), Path.of("."), Clock.systemUTC())).baseUrl());
    }
}
