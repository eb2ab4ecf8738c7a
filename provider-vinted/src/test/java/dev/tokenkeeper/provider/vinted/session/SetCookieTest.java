package dev.tokenkeeper.provider.vinted.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SetCookieTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    @Test
    void readsNameAndValueUpToTheFirstAttribute() {
        SetCookie cookie = SetCookie.parse("access_token_web=eyJ.a=b.c; Path=/; Max-Age=7200; Secure; HttpOnly", NOW)
                .orElseThrow();
        assertEquals("access_token_web", cookie.name());
        assertEquals("eyJ.a=b.c", cookie.value());
        assertFalse(cookie.deletes());
        assertFalse(cookie.toString().contains("eyJ"));
    }

    @Test
    void recognisesDeletions() {
        assertTrue(SetCookie.parse("v_sid=x; Max-Age=0; Path=/", NOW).orElseThrow().deletes());
        assertTrue(SetCookie.parse("v_sid=x; expires=Thu, 01 Jan 1970 00:00:00 GMT", NOW).orElseThrow().deletes());
        assertTrue(SetCookie.parse("v_sid=x; expires=Thu, 01-Jan-1970 00:00:00 GMT", NOW).orElseThrow().deletes());
        assertTrue(SetCookie.parse("v_sid=; path=/", NOW).orElseThrow().deletes());
        // Max-Age wins over Expires, in either order.
        assertFalse(SetCookie.parse("v_sid=x; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60", NOW).orElseThrow().deletes());
        assertFalse(SetCookie.parse("v_sid=x; Max-Age=60; expires=Thu, 01 Jan 1970 00:00:00 GMT", NOW).orElseThrow().deletes());
        assertFalse(SetCookie.parse("v_sid=x; expires=Sun, 01 Mar 2026 12:00:01 GMT", NOW).orElseThrow().deletes());
    }

    @Test
    void skipsHeadersWithoutAPair() {
        assertEquals(Optional.empty(), SetCookie.parse("garbage", NOW));
        assertEquals(Optional.empty(), SetCookie.parse("=value; Path=/", NOW));
    }
}
