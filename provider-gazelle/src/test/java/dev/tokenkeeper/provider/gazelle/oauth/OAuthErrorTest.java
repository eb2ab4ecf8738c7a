package dev.tokenkeeper.provider.gazelle.oauth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.tokenkeeper.api.http.CappedBody;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** {@link OAuthError}: which parts of an error answer may be repeated to a user. */
class OAuthErrorTest {

    private static OAuthError parse(String json) {
        return OAuthError.parse(new CappedBody(json.getBytes(StandardCharsets.UTF_8), false)).orElseThrow();
    }

    @Test
    void readsCodeAndDescription() {
        OAuthError error = parse("{\"error\":\"invalid_scope\",\"error_description\":\"The requested scope is invalid.\"}");
        assertEquals("invalid_scope", error.code());
        assertEquals("invalid_scope: The requested scope is invalid.", error.describe(List.of("tok")));
    }

    @Test
    void aSentSecretEchoedWholeOrInPartIsRemoved() {
        OAuthError error = parse("{\"error\":\"invalid_request\",\"error_description\":\"bad token abc123def\"}");
        assertEquals("invalid_request: bad token [redacted]", error.describe(List.of("abc123def")));
        OAuthError partial = parse("{\"error\":\"invalid_request\",\"error_description\":\"bad token abc123de\"}");
        assertEquals("invalid_request: bad token [redacted]", partial.describe(List.of("abc123def")));
        assertFalse(error.toString().contains("abc123def"));
    }

    @Test
    void aLongDescriptionIsCut() {
        OAuthError error = parse("{\"error\":\"server_error\",\"error_description\":\"" + "x ".repeat(201) + "\"}");
        assertEquals(203, error.safeDescription(List.of()).orElseThrow().length());
    }

    @Test
    void aDescriptionIsMadeOneLine() {
        OAuthError error = parse("{\"error\":\"e\",\"error_description\":\"two\\nlines\"}");
        assertEquals("e: two lines", error.describe(List.of()));
    }

    @Test
    void aCodeThatIsNotAnOAuthCodeIsNotQuoted() {
        assertEquals("unrecognized", parse("{\"error\":\"<script>alert(1)</script>\"}").code());
        assertEquals("unrecognized", parse("{\"error\":\"" + "a".repeat(65) + "\"}").code());
    }

    @Test
    void aBodyWithoutAStringErrorIsNoOAuthError() {
        for (String body : List.of("<html>400</html>", "{}", "{\"error\":{\"code\":1}}", "[]", "")) {
            assertEquals(Optional.empty(), OAuthError.parse(new CappedBody(body.getBytes(StandardCharsets.UTF_8), false)),
                    body);
        }
    }
}
