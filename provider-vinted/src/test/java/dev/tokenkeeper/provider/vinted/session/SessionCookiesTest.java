package dev.tokenkeeper.provider.vinted.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tokenkeeper.api.SecretMaterial;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SessionCookiesTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private final SessionCookies session = SessionCookies.of(Map.of(
            "access_token_web", "A1", "refresh_token_web", "R1", "datadome", "D1", "v_sid", "S1"));

    @Test
    void everySetCookieReplacesDeletionsRemoveButNeverTheTokens() {
        SessionCookies next = session.apply(List.of(
                set("datadome=D2; Max-Age=31536000"),
                set("__cf_bm=C1; HttpOnly"),
                set("v_sid=; Max-Age=0"),
                set("access_token_web=; Max-Age=0"),
                set("refresh_token_web=gone; expires=Thu, 01 Jan 1970 00:00:00 GMT")));

        assertEquals(SessionCookies.of(Map.of("access_token_web", "A1", "refresh_token_web", "R1",
                "datadome", "D2", "__cf_bm", "C1")), next);
    }

    @Test
    void roundTripsThroughSecretMaterialOneFieldPerCookie() {
        SecretMaterial material = session.toMaterial();
        assertEquals(Map.of("cookie.access_token_web", "A1", "cookie.refresh_token_web", "R1",
                "cookie.datadome", "D1", "cookie.v_sid", "S1"), material.fields());
        assertEquals(session, SessionCookies.fromMaterial(material.with("note", "ignored")));
        assertEquals("access_token_web=A1; datadome=D1; refresh_token_web=R1; v_sid=S1", session.header());
        assertFalse(session.toString().contains("A1"));
    }

    @Test
    void undecodableTokensGiveNoExpiry() {
        var issued = session.issued(NOW);
        assertEquals(NOW, issued.issuedAt());
        assertEquals(Optional.empty(), issued.accessExpiresAt());
        assertEquals(Optional.empty(), issued.refreshExpiresAt());
    }

    private static SetCookie set(String header) {
        return SetCookie.parse(header, NOW).orElseThrow();
    }
}
