package dev.tokenkeeper.provider.gazelle.http;

import dev.tokenkeeper.api.http.CappedBody;

import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends POST requests to Gazelle: a deadline on the whole exchange (headers and body), a 1 MiB cap
 * on the body, no redirects followed, never sent twice, and failures turned into one
 * {@link UpstreamUnreachableException} with a safe message.
 *
 * <p>The exchange runs on the calling thread over blocking sockets from a pool (Apache HttpClient's
 * classic client, see {@link Connections}). The JDK's {@code HttpClient} hands every exchange between
 * the caller, its selector thread and its pool: in a due storm on PostgreSQL (issue 26) that was a
 * third of the daemon's CPU, and the same exchange here costs less than half as much.
 */
public final class UpstreamClient {

    /** The most bytes read of any Gazelle answer: 1 MiB. */
    public static final int BODY_LIMIT = CappedBody.ONE_MIB;

    private static final String USER_AGENT = "tokenkeeper-gazelle/0.1";

    private final Connections connections;
    private final Duration connectTimeout;
    private final Duration timeout;

    /**
     * @param connectTimeout how long connecting may take
     * @param timeout        how long the whole exchange may take
     */
    public UpstreamClient(Duration connectTimeout, Duration timeout) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.connections = new Connections(connectTimeout, timeout);
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
        HttpPost post = new HttpPost(uri);
        post.setHeader("Content-Type", contentType);
        post.setHeader("User-Agent", USER_AGENT);
        headers.forEach(post::setHeader);
        post.setEntity(new ByteArrayEntity(body.getBytes(StandardCharsets.UTF_8), null));
        String host = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
        // Built before the deadline starts: the first call builds the client and its TLS context, which on a
        // loaded machine took a good part of a short deadline before any byte was sent.
        CloseableHttpClient client = connections.client();
        // The socket timeout bounds each read; this deadline also covers a body that trickles a byte at a time.
        AtomicBoolean late = new AtomicBoolean();
        Runnable abort = () -> {
            late.set(true);
            post.cancel();
        };
        Deadlines.Armed deadline = Deadlines.SHARED.arm(abort, timeout);
        try {
            return exchange(client, post);
        } catch (IOException | RuntimeException e) {
            if (late.get()) {
                throw timedOut(host);
            }
            if (Thread.currentThread().isInterrupted()) {
                throw new UpstreamUnreachableException("call to " + host + " was interrupted (the daemon is stopping)");
            }
            throw describe(host, e);
        } finally {
            deadline.disarm();
        }
    }

    private UpstreamResponse exchange(CloseableHttpClient client, HttpPost post) throws IOException {
        // The target is the request's own URI's host.
        try (ClassicHttpResponse response = client.executeOpen(null, post, null)) {
            HttpHeaders headers = headersOf(response.getHeaders());
            HttpEntity entity = response.getEntity();
            if (entity == null) {
                return new UpstreamResponse(response.getCode(), headers, new CappedBody(new byte[0], false));
            }
            // Sized by the declared length: a token answer is a few hundred bytes, and a fixed 8 KiB buffer per exchange
            // was a tenth of a daemon's allocation in a due storm.
            long declared = entity.getContentLength();
            int size = declared >= 0 ? (int) Math.min(declared + 1, 8192) : 1024;
            ByteArrayOutputStream kept = new ByteArrayOutputStream(size);
            boolean truncated = false;
            byte[] buffer = new byte[size];
            try (InputStream in = entity.getContent()) {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    int room = BODY_LIMIT - kept.size();
                    kept.write(buffer, 0, Math.min(n, room));
                    if (n > room) {
                        truncated = true;
                        // Drop the connection rather than read the rest of a huge answer to reuse it.
                        post.cancel();
                        break;
                    }
                }
            } catch (IOException e) {
                if (!truncated) {
                    throw e;
                }
            }
            return new UpstreamResponse(response.getCode(), headers, new CappedBody(kept.toByteArray(), truncated));
        }
    }

    private static HttpHeaders headersOf(Header[] all) {
        Map<String, List<String>> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (Header header : all) {
            byName.computeIfAbsent(header.getName(), name -> new ArrayList<>(1)).add(header.getValue());
        }
        return HttpHeaders.of(byName, (name, value) -> true);
    }

    private UpstreamUnreachableException describe(String host, Throwable cause) {
        if (cause instanceof ConnectTimeoutException) {
            return new UpstreamUnreachableException("could not connect to " + host + " within "
                    + connectTimeout.toSeconds()
                    + " s; check the network and the Gazelle URL settings");
        }
        if (cause instanceof SocketTimeoutException) {
            return timedOut(host);
        }
        if (cause instanceof ConnectException) {
            return new UpstreamUnreachableException("could not connect to " + host
                    + " (connection refused or unreachable); check the network and the Gazelle URL settings");
        }
        // I/O messages describe the connection ("connection reset", "target server failed to respond"),
        // never the request body, so they are safe to pass on once made one line.
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
