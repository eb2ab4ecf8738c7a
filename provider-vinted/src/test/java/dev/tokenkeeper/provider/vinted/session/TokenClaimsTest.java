package dev.tokenkeeper.provider.vinted.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TokenClaimsTest {

    @Test
    void readsTheClaimsWithoutCheckingTheSignature() {
        String jwt = jwt("{\"alg\":\"PS256\",\"typ\":\"JWT\"}",
                "{\"exp\":1772370000,\"iat\":1772362800,\"purpose\":\"refresh\",\"scope\":\"public\",\"sid\":\"s-1\"}");
        TokenClaims claims = TokenClaims.decode(jwt).orElseThrow();
        assertEquals(Optional.of(Instant.ofEpochSecond(1772370000)), claims.expiresAt());
        assertEquals(Optional.of(Instant.ofEpochSecond(1772362800)), claims.issuedAt());
        assertEquals(Optional.of("refresh"), claims.purpose());
        assertTrue(claims.anonymous());
        assertEquals(Optional.of("s-1"), claims.sessionId());
        assertFalse(claims.toString().contains("s-1"));
    }

    @Test
    void rejectsWhatIsNotAJwt() {
        assertEquals(Optional.empty(), TokenClaims.decode("abc"));
        assertEquals(Optional.empty(), TokenClaims.decode("a.b"));
        assertEquals(Optional.empty(), TokenClaims.decode("a.b.c.d"));
        assertEquals(Optional.empty(), TokenClaims.decode(jwt("{}", "not json")));
        assertEquals(Optional.empty(), TokenClaims.decode(jwt("not json", "{}")));
        assertEquals(Optional.empty(), TokenClaims.decode(jwt("{}", "[1]")));
        assertEquals(Optional.empty(), TokenClaims.decode("e30.%%%.c2ln"));
    }

    private static String jwt(String header, String payload) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + ".c2lnbmF0dXJl";
    }
}
