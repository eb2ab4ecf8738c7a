package dev.tokenkeeper.provider.gazelle.http;

import dev.tokenkeeper.api.http.OnFirstUse;

import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

import java.time.Duration;

/**
 * The pooled blocking client {@link UpstreamClient} sends with, built on first use: building it loads
 * the JDK's default TLS context (every certificate of the trust store), which a provider configured at
 * start should pay at its first call, off the start-up path, and a provider never called never pays.
 */
final class Connections {

    /**
     * Connections kept per upstream host: more than any refresh worker count, so that a worker never
     * waits for another's connection.
     */
    static final int PER_HOST = 512;

    /**
     * A pooled connection idle this long is checked for a close by the server before it carries a POST:
     * a POST is never re-sent (it may carry a refresh token that rotates), so it must not go out on a
     * connection the server has already dropped.
     */
    static final TimeValue CHECK_AFTER_IDLE = TimeValue.ofMilliseconds(500);

    /** How long an idle connection is kept when the server does not say (its Keep-Alive header). */
    static final TimeValue KEEP_IDLE = TimeValue.ofSeconds(30);

    private final Duration connectTimeout;
    private final Duration timeout;
    private final OnFirstUse<CloseableHttpClient> client = new OnFirstUse<>(this::build);

    Connections(Duration connectTimeout, Duration timeout) {
        this.connectTimeout = connectTimeout;
        this.timeout = timeout;
    }

    CloseableHttpClient client() {
        return client.get();
    }

    private CloseableHttpClient build() {
        ConnectionConfig connection = ConnectionConfig.custom()
                .setConnectTimeout(Timeout.of(connectTimeout))
                .setSocketTimeout(Timeout.of(timeout))
                .setValidateAfterInactivity(CHECK_AFTER_IDLE)
                .build();
        return HttpClientBuilder.create()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setMaxConnPerRoute(PER_HOST)
                        .setMaxConnTotal(PER_HOST * 4)
                        .setDefaultConnectionConfig(connection)
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setConnectionRequestTimeout(Timeout.of(timeout))
                        .setResponseTimeout(Timeout.of(timeout))
                        .setConnectionKeepAlive(KEEP_IDLE)
                        .setRedirectsEnabled(false)
                        .build())
                // A redirect of a POST carrying a refresh token is never something to follow blindly, and a
                // POST that may have reached the server is never sent again by the client on its own.
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableAuthCaching()
                .disableContentCompression()
                .disableConnectionState()
                .build();
    }
}
