package dev.tokenkeeper.api.http;

import java.net.http.HttpClient;
import java.util.Objects;

/**
 * A JDK {@link HttpClient} built when it is first asked for, not when the plugin is configured.
 * Building one sets up TLS (the JDK's security providers and its CA certificates): about a tenth of
 * a second of CPU that a daemon starting with no credential due would spend before it answers
 * {@code /healthz}, for a client it may not use for hours. Thread-safe: every caller gets the same
 * client.
 */
public final class FirstUseClient {

    private final HttpClient.Builder builder;
    private volatile HttpClient client;

    /**
     * @param builder the client's settings; built once, on the first {@link #get()}, and not to be
     *                changed by the caller after this
     */
    public FirstUseClient(HttpClient.Builder builder) {
        this.builder = Objects.requireNonNull(builder, "builder");
    }

    /** @return the client, built now if this is the first call */
    public HttpClient get() {
        HttpClient built = client;
        if (built == null) {
            synchronized (this) {
                built = client;
                if (built == null) {
                    built = builder.build();
                    client = built;
                }
            }
        }
        return built;
    }
}
