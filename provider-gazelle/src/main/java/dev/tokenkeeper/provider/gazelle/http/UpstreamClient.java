package dev.tokenkeeper.provider.gazelle.http;

import dev.tokenkeeper.api.http.CappedBody;
import dev.tokenkeeper.api.http.ClientOnFirstUse;
import dev.tokenkeeper.api.http.DeadlineExceededException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Sends POST requests to Gazelle with one JDK {@link HttpClient}: a deadline on the whole exchange
 * (headers and body), a 1 MiB cap on the body, no redirects followed, and failures turned into one
 * {@link UpstreamUnreachableException} with a safe message.
 */
public final class UpstreamClient {

    /** The most bytes read of any Gazelle answer: 1 MiB. */
    public static final int BODY_LIMIT = CappedBody.ONE_MIB;

    private static final String USER_AGENT = "tokenkeeper-gazelle/0.1 (+java.net.http)";

    private final ClientOnFirstUse client;
    private final Duration connectTimeout;
    private final Duration timeout;

    /**
     * @param connectTimeout how long connecting may take
     * @param timeout        how long the whole exchange may take
     */
    public UpstreamClient(Duration connectTimeout, Duration timeout) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.client = new ClientOnFirstUse(HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                // The exchange's stages run on the client's selector thread, not handed to a pool between
                // them: a refresh's worker waits for its answer anyway, and in a due storm (issue 26) those
                // hand-overs were a third of the daemon's CPU. Nothing run here blocks (CappedBody reads as
                // the bytes come).
                .executor(Runnable::run)
                // A redirect of a POST carrying a refresh token is never something to follow blindly.
                .followRedirects(HttpClient.Redirect.NEVER));
    }

    /**
     * Posts a body and waits for the complete answer.
     *
     * @param uri         where to
     * @param contentType the body's media type
     * @param headers     further headers (names to values)
     * @param body        the body
     * @return the answer, whatever its status
     * @throws UpstreamUnreachableException when no complete answer arrived in time
     */
    public UpstreamResponse post(URI uri, String contentType, Map<String, String> headers, String body)
            throws UpstreamUnreachableException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Content-Type", contentType)
                .header("User-Agent", USER_AGENT)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        headers.forEach(request::header);
        String host = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
        try {
            // The request timeout only covers the headers; this deadline also covers a body that trickles.
            HttpResponse<CappedBody> response = CappedBody.send(client.get(), request.build(), BODY_LIMIT, timeout);
            return new UpstreamResponse(response.statusCode(), response.headers(), response.body());
        } catch (DeadlineExceededException e) {
            throw timedOut(host);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamUnreachableException("call to " + host + " was interrupted (the daemon is stopping)");
        } catch (IOException e) {
            throw describe(host, e);
        }
    }

    private UpstreamUnreachableException describe(String host, Throwable cause) {
        if (cause instanceof HttpConnectTimeoutException) {
            return new UpstreamUnreachableException("could not connect to " + host + " within "
                    + connectTimeout.toSeconds()
                    + " s; check the network and the Gazelle URL settings");
        }
        if (cause instanceof HttpTimeoutException) {
            return timedOut(host);
        }
        if (cause instanceof ConnectException) {
            return new UpstreamUnreachableException("could not connect to " + host
                    + " (connection refused or unreachable); check the network and the Gazelle URL settings");
        }
        // JDK I/O messages describe the connection ("connection reset", "header parser received no
        // bytes"), never the request body, so they are safe to pass on once made one line.
        String detail = cause == null ? "unknown error"
                : cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : ": " + SafeText.oneLine(cause.getMessage(), 160));
        String what = cause instanceof IOException ? "connection to " + host + " failed" : "call to " + host + " failed";
        return new UpstreamUnreachableException(what + " (" + detail + ")");
    }

    private UpstreamUnreachableException timedOut(String host) {
        return new UpstreamUnreachableException("no answer from " + host + " within " + timeout.toSeconds()
                + " s (TOKENKEEPER_UPSTREAM_TIMEOUT_SECONDS)");
    }
}
