package dev.tokenkeeper.provider.gazelle.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link UpstreamClient} against a real server that misbehaves. */
class UpstreamClientTest {

    private final ScriptedServer server = ScriptedServer.start();
    private final UpstreamClient client = new UpstreamClient(Duration.ofSeconds(1), Duration.ofSeconds(1));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void postsTheBodyAndReturnsStatusHeadersAndBody() throws Exception {
        server.answering(exchange -> {
            exchange.getResponseHeaders().set("X-Seen", exchange.getRequestHeaders().getFirst("Content-Type"));
            ScriptedServer.send(exchange, 201, "application/json", "{\"ok\":true}");
        });
        UpstreamResponse response = client.post(server.url("/x"), "application/x-www-form-urlencoded",
                Map.of("Accept", "application/json"), "a=b");

        assertEquals(201, response.status());
        assertEquals("application/x-www-form-urlencoded", response.header("X-Seen").orElseThrow());
        assertEquals("{\"ok\":true}", response.body().text());
        assertFalse(response.body().truncated());
        assertEquals("a=b", server.requestBodies().get(0));
    }

    @Test
    void exchangesStartNoThreadOfTheirOwn() throws Exception {
        server.answering(exchange -> ScriptedServer.send(exchange, 200, "application/json", "{}"));
        client.post(server.url("/x"), "application/json", Map.of(), "{}");
        Set<String> before = threadNames();
        for (int i = 0; i < 40; i++) {
            assertEquals(200, client.post(server.url("/x"), "application/json", Map.of(), "{}").status());
        }
        Set<String> started = threadNames();
        started.removeAll(before);
        started.removeIf(name -> !name.startsWith("HttpClient"));
        // The JDK client's default executor would have started its workers here (a third of a daemon's CPU in a
        // due storm went to handing each exchange between them): the stages run on the client's selector thread.
        assertEquals(Set.of(), started);
    }

    private static Set<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .collect(Collectors.toCollection(HashSet::new));
    }

    @Test
    void aBodyThatTricklesPastTheDeadlineTimesOut() {
        server.answering(exchange -> {
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            // A byte every 100 ms for 20 s: far past the 1 s deadline, even on a loaded machine.
            for (int i = 0; i < 200; i++) {
                out.write('x');
                out.flush();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
            out.close();
        });
        long start = System.nanoTime();
        UpstreamUnreachableException error = assertThrows(UpstreamUnreachableException.class,
                () -> client.post(server.url("/slow"), "text/plain", Map.of(), ""));
        long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
        assertTrue(error.getMessage().contains("within 1 s"), error.getMessage());
        assertTrue(millis < 12_000, "took " + millis + " ms");
    }

    @Test
    void redirectsAreNotFollowed() throws Exception {
        server.answering(exchange -> {
            exchange.getResponseHeaders().set("Location", "/elsewhere");
            ScriptedServer.send(exchange, 307, "text/plain", "moved");
        });
        assertEquals(307, client.post(server.url("/token"), "text/plain", Map.of(), "secret=1").status());
        assertEquals(1, server.requestBodies().size());
    }

    @Test
    void aRefusedConnectionIsDescribedInOneLine() {
        server.close();
        UpstreamUnreachableException error = assertThrows(UpstreamUnreachableException.class,
                () -> client.post(server.url("/token"), "text/plain", Map.of(), ""));
        assertTrue(error.getMessage().startsWith("could not connect to 127.0.0.1:"), error.getMessage());
        assertFalse(error.getMessage().contains("\n"));
    }
}
