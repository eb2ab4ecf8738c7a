package dev.tokenkeeper.api.http;

import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import java.net.http.HttpClient;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreparedClientTest {

    @Test
    void everyCallerGetsTheOneClientBuiltWithTheBuildersSettings() {
        PreparedClient prepared = new PreparedClient(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3))
                .followRedirects(HttpClient.Redirect.NEVER));
        HttpClient client = prepared.get();
        assertSame(client, prepared.get());
        assertEquals(Duration.ofSeconds(3), client.connectTimeout().orElseThrow());
        assertEquals(HttpClient.Redirect.NEVER, client.followRedirects());
    }

    @Test
    void aBuildThatFailsIsReportedToTheCallerWithItsCause() throws Exception {
        // The JDK refuses to build a client on a TLS context nobody initialized.
        PreparedClient prepared = new PreparedClient(HttpClient.newBuilder().sslContext(SSLContext.getInstance("TLS")));
        IllegalStateException e = assertThrows(IllegalStateException.class, prepared::get);
        assertTrue(e.getMessage().startsWith("the HTTP client could not be set up"), e.getMessage());
        assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
    }
}
