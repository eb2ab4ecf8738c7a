package dev.tokenkeeper.daemon.oauth;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PkceTest {

    @Test
    void theChallengeIsBase64UrlOfSha256WithoutPadding() {
        // Computed independently: python3 -c "import hashlib,base64; print(base64.urlsafe_b64encode(
        //   hashlib.sha256(b'dBjftJeZ4CK-q4P1mvmaOTTwvrcN0sKKFqYzm_Vnyhk').digest()).rstrip(b'='))"
        assertEquals("39hTIpg0lhwIRryz4hHCK7C7pRJopsa8ccaoZM5DN1I",
                Pkce.challengeOf("dBjftJeZ4CK-q4P1mvmaOTTwvrcN0sKKFqYzm_Vnyhk"));
    }

    @Test
    void generatedPairsAreFreshWellFormedAndHideTheVerifier() {
        Pkce one = Pkce.generate();
        Pkce two = Pkce.generate();
        assertNotEquals(one.verifier(), two.verifier());
        assertTrue(Pkce.isVerifier(one.verifier()), one.verifier());
        assertTrue(Pkce.isChallenge(one.challenge()));
        assertEquals(Pkce.challengeOf(one.verifier()), one.challenge());
        assertFalse(one.toString().contains(one.verifier()));
        assertFalse(Pkce.isVerifier("short"));
        assertFalse(Pkce.isChallenge("has spaces and is not 43 chars"));
    }
}
