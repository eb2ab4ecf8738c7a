package dev.tokenkeeper.api.http;

import java.net.http.HttpClient;
import java.util.Objects;

/**
 * A JDK {@link HttpClient} built the first time a request needs it, once, whatever the number of
 * threads asking. Building one loads the JDK's default TLS context, which parses every certificate of
 * the trust store (about a tenth of a second on a small machine) and starts the client's selector
 * thread: a provider configured at the daemon's start pays for that at its first upstream call
 * instead, off the start-up path, and a provider that is never called never pays.
 */
public final class ClientOnFirstUse {

    private final OnFirstUse<HttpClient> client;

    /**
     * @param builder the client's settings (not built here; not to be changed afterwards)
     */
    public ClientOnFirstUse(HttpClient.Builder builder) {
        Objects.requireNonNull(builder, "builder");
        this.client = new OnFirstUse<>(builder::build);
    }

    /** @return the client, built by the first call */
    public HttpClient get() {
        return client.get();
    }
}
