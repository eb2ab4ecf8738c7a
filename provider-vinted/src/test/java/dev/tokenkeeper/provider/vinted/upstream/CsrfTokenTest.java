package dev.tokenkeeper.provider.vinted.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class CsrfTokenTest {

    @Test
    void findsTheRailsMetaTagInEitherAttributeOrder() {
        assertEquals(Optional.of("tok+en/=="), CsrfToken.find("<head><meta name=\"csrf-token\" content=\"tok+en/==\" /></head>"));
        assertEquals(Optional.of("tok"), CsrfToken.find("<meta content='tok' name='csrf-token'>"));
        assertEquals(Optional.of("a+b&c"), CsrfToken.find("<meta name=\"csrf-token\" content=\"a&#43;b&amp;c\">"));
    }

    @Test
    void findsTheInlineConfigurationValue() {
        assertEquals(Optional.of("t1"), CsrfToken.find("window.__CONFIG__ = {\"CSRF_TOKEN\":\"t1\"}"));
        assertEquals(Optional.of("t2"), CsrfToken.find("var CSRF_TOKEN = \"t2\";"));
        assertEquals(Optional.of("t3"), CsrfToken.find("JSON.parse(\"{\\\"CSRF_TOKEN\\\":\\\"t3\\\"}\")"));
    }

    @Test
    void saysSoWhenThereIsNone() {
        assertEquals(Optional.empty(), CsrfToken.find("<html><meta name=\"csrf-param\" content=\"authenticity_token\"></html>"));
    }
}
