package dev.tokenkeeper.store.supabase;

import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoreUnavailableException;
import dev.tokenkeeper.api.http.CappedBody;
import dev.tokenkeeper.api.http.DeadlineExceededException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * Sends requests to a project's PostgREST API ({@code {SUPABASE_URL}/rest/v1/...}) with the
 * service-role key in {@code apikey} and {@code Authorization: Bearer}, and reads the answers, at
 * most {@link #MAX_BODY_BYTES} each, headers and body within the store's timeout. A request that gets no answer (connection refused or reset,
 * unknown host, timeout) becomes a {@link StoreUnavailableException}; any answer, whatever its
 * status, is returned for {@link PostgrestErrors} to judge. Thread-safe.
 */
final class PostgrestClient {

    /** The largest answer read; larger ones are refused. */
    static final int MAX_BODY_BYTES = CappedBody.ONE_MIB;

    private final SupabaseSettings settings;
    private final HttpClient http;

    /** @param settings the project URL, key and timeout */
    PostgrestClient(SupabaseSettings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /**
     * Sends one request and reads the whole answer.
     *
     * @param method  {@code GET}, {@code POST}, {@code PATCH} or {@code DELETE}
     * @param query   the table and query string
     * @param body    the JSON body, if any
     * @param prefer  the {@code Prefer} header, if any
     * @param action  what is being done, for messages, e.g. "update credential gazelle:default"
     * @return the answer, whatever its status
     * @throws StoreUnavailableException when no answer came
     * @throws StoreException when the answer is larger than {@link #MAX_BODY_BYTES}
     */
    PostgrestResponse send(String method, PostgrestQuery query, Optional<byte[]> body, Optional<String> prefer,
                           String action) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(settings.projectUrl() + query.pathAndQuery()))
                .timeout(settings.timeout())
                .header("apikey", settings.key())
                .header("Authorization", "Bearer " + settings.key())
                .header("Accept", "application/json")
                .method(method, body.map(HttpRequest.BodyPublishers::ofByteArray)
                        .orElse(HttpRequest.BodyPublishers.noBody()));
        if (body.isPresent()) {
            request.header("Content-Type", "application/json");
        }
        prefer.ifPresent(value -> request.header("Prefer", value));
        try {
            // The request timeout covers the headers only; this deadline also covers a body that stalls.
            HttpResponse<CappedBody> response = CappedBody.send(http, request.build(), MAX_BODY_BYTES, settings.timeout());
            if (response.body().truncated()) {
                throw new StoreException("supabase: the answer to " + action + " is larger than "
                        + (MAX_BODY_BYTES >> 20) + " MiB: check that " + SupabaseSettings.URL
                        + " points at your Supabase project");
            }
            return new PostgrestResponse(response.statusCode(), response.body().bytes());
        } catch (DeadlineExceededException e) {
            throw new StoreUnavailableException("supabase: cannot reach " + SupabaseSettings.URL + " "
                    + settings.printableUrl() + " to " + action + " (no answer within " + settings.timeout().toSeconds()
                    + " s, " + SupabaseSettings.TIMEOUT + "; the answer stalled): check " + SupabaseSettings.URL
                    + ", the network and any proxy in between; tokenkeeper retries", e);
        } catch (IOException e) {
            throw unreachable(action, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("supabase: interrupted while waiting to " + action
                    + ": the daemon is shutting down", e);
        }
    }

    private StoreUnavailableException unreachable(String action, IOException e) {
        return new StoreUnavailableException("supabase: cannot reach " + SupabaseSettings.URL + " "
                + settings.printableUrl() + " to " + action + " (" + reason(e, settings.timeout())
                + "): check " + SupabaseSettings.URL + " and the network; tokenkeeper retries", e);
    }

    /** One short reason without the exception's own message, which may repeat the URL with its query. */
    static String reason(IOException e, Duration timeout) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof UnresolvedAddressException || cause instanceof UnknownHostException) {
                return "unknown host";
            }
        }
        if (e instanceof HttpConnectTimeoutException) {
            return "no connection within " + timeout.toSeconds() + " s";
        }
        if (e instanceof HttpTimeoutException) {
            return "no answer within " + timeout.toSeconds() + " s";
        }
        if (e instanceof ConnectException) {
            return "connection refused";
        }
        if (e instanceof SSLException) {
            return "TLS handshake failed";
        }
        return "connection closed without an answer: " + e.getClass().getSimpleName();
    }
}
