package dev.tokenkeeper.daemon.cli;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loopback listener with a real HTTP client playing the browser. */
class LoopbackRedirectTest {

    private final HttpClient browser = HttpClient.newHttpClient();

    @Test
    void waitsPastOtherPathsForTheCallbackAndAnswersIt() throws Exception {
        try (LoopbackRedirect redirect = LoopbackRedirect.open(0)) {
            URI callback = redirect.redirectUri();
            assertTrue(callback.toString().matches("http://127\\.0\\.0\\.1:\\d+/callback"), callback.toString());
            CompletableFuture<HttpResponse<String>> favicon = browser.sendAsync(
                    HttpRequest.newBuilder(callback.resolve("/favicon.ico")).build(), HttpResponse.BodyHandlers.ofString());
            CompletableFuture<LoopbackRedirect.Callback> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return redirect.await(Duration.ofSeconds(10));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertEquals(404, favicon.get().statusCode());
            CompletableFuture<HttpResponse<String>> page = browser.sendAsync(HttpRequest.newBuilder(
                    URI.create(callback + "?code=abc%2Fdef&state=s%20t")).build(), HttpResponse.BodyHandlers.ofString());
            LoopbackRedirect.Callback arrived = waiting.get();
            assertEquals("abc/def", arrived.param("code").orElseThrow());
            assertEquals("s t", arrived.param("state").orElseThrow());
            arrived.answer(400, "Wrong state", "<script>x</script>");
            HttpResponse<String> answer = page.get();
            assertEquals(400, answer.statusCode());
            assertTrue(answer.body().contains("&lt;script&gt;"), "the page escapes what it shows: " + answer.body());
        }
    }

    @Test
    void givesUpAfterTheTimeout() {
        try (LoopbackRedirect redirect = LoopbackRedirect.open(0)) {
            assertThrows(TimeoutException.class, () -> redirect.await(Duration.ofMillis(300)));
        }
    }

    @Test
    void parsesTimeouts() {
        assertEquals(Duration.ofMinutes(5), AuthorizeCommand.duration("5m"));
        assertEquals(Duration.ofSeconds(300), AuthorizeCommand.duration("300"));
        assertEquals(Duration.ofSeconds(90), AuthorizeCommand.duration("90s"));
        assertThrows(IllegalArgumentException.class, () -> AuthorizeCommand.duration("0"));
        assertThrows(IllegalArgumentException.class, () -> AuthorizeCommand.duration("soon"));
    }
}
