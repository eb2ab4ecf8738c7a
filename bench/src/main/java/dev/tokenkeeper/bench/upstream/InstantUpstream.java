package dev.tokenkeeper.bench.upstream;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A Gazelle token endpoint imitation on 127.0.0.1 that answers every refresh-token grant with a
 * canned, rotated token JSON, after an optional fixed delay. It counts what a benchmark needs to
 * know: requests, the peak number in flight, and per credential how often and when it was refreshed.
 *
 * <p>A credential is recognised by its refresh token: {@code <key>} at first, {@code <key>~<n>}
 * after each rotation, so {@code <key>} names the credential across rotations.
 *
 * <p>Each connection has a thread of its own that reads a request and answers it, over and over (HTTP/1.1
 * keep-alive): no caller ever waits for another's answer, and no answer is handed between threads. The
 * JDK's {@code HttpServer} answered on its one dispatcher thread, and four daemons' workers then spent half
 * of a due storm waiting for that thread to get a core; on a handler pool every answer cost two hand-overs
 * between threads, a sixth of the two cores with one daemon.
 */
public final class InstantUpstream implements AutoCloseable {

    private static final int MOST_HEADER_BYTES = 16 * 1024;
    private static final int MOST_BODY_BYTES = 1024 * 1024;

    private final ServerSocket server;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final long delayNanos;
    private final long expiresInSeconds;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong rotation = new AtomicLong();
    private final Map<String, AtomicInteger> refreshesByKey = new ConcurrentHashMap<>();
    private final Map<String, Long> firstArrivalMillis = new ConcurrentHashMap<>();
    private final Map<String, Long> lastArrivalMillis = new ConcurrentHashMap<>();
    private final Set<String> presented = ConcurrentHashMap.newKeySet();
    private final AtomicLong presentedTwice = new AtomicLong();
    private final AtomicLongArrayLog arrivals = new AtomicLongArrayLog();

    private InstantUpstream(Duration delay, long expiresInSeconds) throws IOException {
        this.delayNanos = delay.toNanos();
        this.expiresInSeconds = expiresInSeconds;
        this.server = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
    }

    /**
     * @param delay            how long each answer takes
     * @param expiresInSeconds the {@code expires_in} of issued tokens
     * @return the started imitation
     * @throws IOException when no loopback port can be bound
     */
    public static InstantUpstream start(Duration delay, long expiresInSeconds) throws IOException {
        InstantUpstream upstream = new InstantUpstream(delay, expiresInSeconds);
        Thread acceptor = new Thread(upstream::accept, "instant-upstream-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return upstream;
    }

    /** @return the token URL ({@code GAZELLE_OAUTH_TOKEN_URL}) */
    public URI tokenUrl() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/oauth/token");
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                socket.setTcpNoDelay(true);
                connections.add(socket);
                Thread thread = new Thread(() -> serve(socket), "instant-upstream");
                thread.setDaemon(true);
                thread.start();
            } catch (IOException e) {
                // Closed: the loop ends.
            }
        }
    }

    /** Answers the connection's requests one after another until the caller closes it or sends nonsense. */
    private void serve(Socket socket) {
        try (socket; InputStream in = new BufferedInputStream(socket.getInputStream());
             OutputStream out = new BufferedOutputStream(socket.getOutputStream())) {
            while (true) {
                Request request = Request.read(in);
                if (request == null) {
                    return;
                }
                if (!request.path().equals("/oauth/token")) {
                    byte[] body = "not here".getBytes(StandardCharsets.US_ASCII);
                    respond(out, 404, "text/plain", body);
                } else {
                    respond(out, 200, "application/json", answer(request.body()));
                }
            }
        } catch (IOException e) {
            // The caller went away.
        } finally {
            connections.remove(socket);
        }
    }

    private static void respond(OutputStream out, int status, String type, byte[] body) throws IOException {
        out.write(("HTTP/1.1 " + status + (status == 200 ? " OK" : " Not Found") + "\r\nContent-Type: " + type
                + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    /** One request as far as the imitation needs it: its path and body. */
    private record Request(String path, byte[] body) {

        /** @return the next request on the connection; null when it was closed between requests */
        static Request read(InputStream in) throws IOException {
            String line = line(in);
            if (line == null) {
                return null;
            }
            String[] parts = line.split(" ");
            if (parts.length != 3) {
                throw new IOException("not an HTTP request line");
            }
            int length = 0;
            for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
                int colon = header.indexOf(':');
                if (colon > 0 && header.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                    length = Integer.parseInt(header.substring(colon + 1).trim());
                }
            }
            if (length < 0 || length > MOST_BODY_BYTES) {
                throw new IOException("body length " + length);
            }
            return new Request(parts[1], in.readNBytes(length));
        }

        /** @return the line without its CRLF; null at the end of the stream before any byte */
        private static String line(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder();
            for (int b = in.read(); ; b = in.read()) {
                if (b < 0) {
                    if (line.length() == 0) {
                        return null;
                    }
                    throw new IOException("connection closed inside a request");
                }
                if (b == '\n') {
                    int end = line.length() > 0 && line.charAt(line.length() - 1) == '\r' ? line.length() - 1 : line.length();
                    return line.substring(0, end);
                }
                if (line.length() >= MOST_HEADER_BYTES) {
                    throw new IOException("header line too long");
                }
                line.append((char) b);
            }
        }
    }

    private byte[] answer(byte[] request) {
        int now = inFlight.incrementAndGet();
        peak.accumulateAndGet(now, Math::max);
        try {
            long arrived = System.currentTimeMillis();
            arrivals.add(System.nanoTime());
            requests.incrementAndGet();
            String form = new String(request, StandardCharsets.UTF_8);
            String refreshToken = field(form, "refresh_token");
            String key = refreshToken.contains("~") ? refreshToken.substring(0, refreshToken.indexOf('~')) : refreshToken;
            refreshesByKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            firstArrivalMillis.putIfAbsent(key, arrived);
            lastArrivalMillis.put(key, arrived);
            if (!presented.add(refreshToken)) {
                presentedTwice.incrementAndGet();
            }
            if (delayNanos > 0) {
                long until = System.nanoTime() + delayNanos;
                for (long left = delayNanos; left > 0; left = until - System.nanoTime()) {
                    LockSupport.parkNanos(left);
                }
            }
            long n = rotation.incrementAndGet();
            return ("{\"access_token\":\"at-" + n + "\",\"refresh_token\":\"" + key + "~" + n
                    + "\",\"token_type\":\"Bearer\",\"expires_in\":" + expiresInSeconds + ",\"created_at\":"
                    + (System.currentTimeMillis() / 1000) + "}").getBytes(StandardCharsets.UTF_8);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private static String field(String form, String name) {
        for (String pair : form.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return "";
    }

    /** @return requests answered so far */
    public long requests() {
        return requests.get();
    }

    /** @return the most requests ever in flight at once */
    public int peakConcurrency() {
        return peak.get();
    }

    /** Forgets the counters (not the rotation number). */
    public void reset() {
        peak.set(0);
        requests.set(0);
        refreshesByKey.clear();
        firstArrivalMillis.clear();
        lastArrivalMillis.clear();
        presented.clear();
        presentedTwice.set(0);
        arrivals.clear();
    }

    /** @return refreshes seen per credential key */
    public Map<String, AtomicInteger> refreshesByKey() {
        return refreshesByKey;
    }

    /** @return when (epoch millis) each credential key was first refreshed */
    public Map<String, Long> firstArrivalMillis() {
        return firstArrivalMillis;
    }

    /** @return when (epoch millis) each credential key was last refreshed */
    public Map<String, Long> lastArrivalMillis() {
        return lastArrivalMillis;
    }

    /**
     * @return how many requests presented a refresh token that an earlier request had already
     *         presented (a real upstream would refuse it: the token was spent)
     */
    public long presentedTwice() {
        return presentedTwice.get();
    }

    /** @return the most requests that arrived within any one second */
    public int peakPerSecond() {
        long[] times = arrivals.sorted();
        int best = 0;
        int start = 0;
        for (int end = 0; end < times.length; end++) {
            while (times[end] - times[start] >= 1_000_000_000L) {
                start++;
            }
            best = Math.max(best, end - start + 1);
        }
        return best;
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // Closing anyway.
        }
        for (Socket socket : connections) {
            try {
                socket.close();
            } catch (IOException e) {
                // Closing anyway.
            }
        }
    }

    /** An append-only log of nano times, cheap to add to from many threads. */
    private static final class AtomicLongArrayLog {
        private long[] values = new long[1024];
        private int size;

        synchronized void add(long value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        synchronized void clear() {
            size = 0;
        }

        synchronized long[] sorted() {
            long[] copy = Arrays.copyOf(values, size);
            Arrays.sort(copy);
            return copy;
        }
    }
}
