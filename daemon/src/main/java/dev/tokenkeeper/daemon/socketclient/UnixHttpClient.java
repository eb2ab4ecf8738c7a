package dev.tokenkeeper.daemon.socketclient;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A minimal HTTP/1.1 client over a Unix domain socket, which the JDK's HttpClient cannot use: one
 * request per connection ({@code Connection: close}), {@code Host: localhost}, the answer read to its
 * end with a Content-Length or chunked body, the whole exchange bounded by one deadline.
 */
public final class UnixHttpClient {

    /** Answers larger than this are refused rather than held in memory. */
    static final int MAX_ANSWER_BYTES = 16 * 1024 * 1024;

    /**
     * An answer.
     *
     * @param status  the HTTP status
     * @param headers the headers, names in lower case
     * @param body    the body as UTF-8 text
     */
    public record Response(int status, Map<String, String> headers, String body) {
        /** Copies the headers. */
        public Response {
            headers = Map.copyOf(headers);
        }
    }

    private final Path socket;
    private final Duration timeout;

    /**
     * @param socket  the socket file
     * @param timeout the bound on one whole exchange
     */
    public UnixHttpClient(Path socket, Duration timeout) {
        this.socket = socket;
        this.timeout = timeout;
    }

    /** @return the socket file */
    public Path socket() {
        return socket;
    }

    /**
     * @param method  GET, POST, PUT or DELETE
     * @param target  the path and query, e.g. {@code /api/v1/credentials}
     * @param headers extra headers (no Host, Content-Length or Connection)
     * @param body    the body, or null
     * @return the answer
     * @throws java.net.ConnectException when nothing listens on the socket
     * @throws HttpTimeoutException      when the exchange does not finish within the timeout
     * @throws IOException               when the answer cannot be read
     */
    public Response send(String method, String target, Map<String, String> headers, String body) throws IOException {
        return send(method, target, headers, body, peer -> { });
    }

    /**
     * Like {@link #send(String, String, Map, String)}, with the process at the other end shown to
     * {@code peerCheck} before a byte is written.
     *
     * @param peerCheck gets the user and group the kernel reports for the process that bound the
     *                  socket ({@code SO_PEERCRED}); throws to refuse, and then nothing is sent
     * @return the answer
     * @throws IOException as the other form
     */
    public Response send(String method, String target, Map<String, String> headers, String body,
                         Consumer<UnixDomainPrincipal> peerCheck) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
             Selector selector = Selector.open()) {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (NoSuchFileException e) {
                throw new ConnectException("no socket at " + socket);
            } catch (SocketException e) {
                if (e instanceof ConnectException || String.valueOf(e.getMessage()).contains("refused")
                        || !Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
                    ConnectException refused = new ConnectException("nothing listens on " + socket);
                    refused.initCause(e);
                    throw refused;
                }
                // Most often "Permission denied": the socket is 0660, for its owner and group only.
                throw new IOException("cannot connect to " + socket + ": " + e.getMessage()
                        + " (is this user in the socket's group, e.g. tokenkeeper?)", e);
            }
            peerCheck.accept(channel.getOption(ExtendedSocketOptions.SO_PEERCRED));
            return exchange(channel, selector, "localhost", method, target, headers, body, deadline);
        }
    }

    /**
     * Sends one request on a connected channel and reads its whole answer, all before the deadline
     * (also {@link TcpHttpClient}'s exchange).
     *
     * @param host the Host header's value
     * @param deadline the {@link System#nanoTime()} by which the answer must be complete
     */
    static Response exchange(SocketChannel channel, Selector selector, String host, String method, String target,
                             Map<String, String> headers, String body, long deadline) throws IOException {
        byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(host).append("\r\nConnection: close\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        if (body != null || method.equals("POST") || method.equals("PUT")) {
            head.append("Content-Length: ").append(content.length).append("\r\n");
        }
        head.append("\r\n");
        ByteBuffer out = ByteBuffer.allocate(head.length() * 3 + content.length);
        out.put(head.toString().getBytes(StandardCharsets.UTF_8)).put(content).flip();
        channel.configureBlocking(false);
        SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE);
        while (out.hasRemaining()) {
            await(selector, deadline);
            channel.write(out);
        }
        key.interestOps(SelectionKey.OP_READ);
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        ByteBuffer in = ByteBuffer.allocate(16 * 1024);
        while (true) {
            int read = channel.read(in);
            if (read < 0) {
                return parse(answer.toByteArray(), true);
            }
            if (read == 0) {
                await(selector, deadline);
                continue;
            }
            answer.write(in.array(), 0, in.position());
            in.clear();
            if (answer.size() > MAX_ANSWER_BYTES) {
                throw new IOException("answer larger than " + MAX_ANSWER_BYTES + " bytes");
            }
            if (complete(answer.toByteArray())) {
                return parse(answer.toByteArray(), false);
            }
        }
    }

    static void await(Selector selector, long deadline) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new HttpTimeoutException("no complete answer in time");
        }
        selector.select(Math.max(1, left / 1_000_000));
        selector.selectedKeys().clear();
    }

    /** A complete answer can be parsed before the server closes; a partial one throws. */
    private static boolean complete(byte[] bytes) {
        try {
            parse(bytes, false);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static Response parse(byte[] bytes, boolean closed) throws IOException {
        int end = indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
        if (end < 0) {
            throw new IOException("the answer ended inside its head");
        }
        String[] lines = new String(bytes, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP/1.x status line");
        }
        int code;
        try {
            code = Integer.parseInt(status[1]);
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP status: " + status[1]);
        }
        Map<String, String> headers = new TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
            }
        }
        int start = end + 4;
        byte[] body;
        if (headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked")) {
            body = dechunk(bytes, start);
        } else if (headers.containsKey("content-length")) {
            long length;
            try {
                length = Long.parseLong(headers.get("content-length"));
            } catch (NumberFormatException e) {
                throw new IOException("bad Content-Length");
            }
            if (bytes.length - start < length) {
                throw new IOException("the answer ended inside its body");
            }
            body = Arrays.copyOfRange(bytes, start, start + (int) length);
        } else if (code == 204 || code == 304 || code / 100 == 1) {
            body = new byte[0];
        } else if (closed) {
            // Neither: the body runs to the end of the connection.
            body = Arrays.copyOfRange(bytes, start, bytes.length);
        } else {
            throw new IOException("body length known only at the end of the connection");
        }
        return new Response(code, headers, new String(body, StandardCharsets.UTF_8));
    }

    private static byte[] dechunk(byte[] bytes, int position) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] crlf = "\r\n".getBytes(StandardCharsets.US_ASCII);
        while (true) {
            int lineEnd = indexOf(bytes, crlf, position);
            if (lineEnd < 0) {
                throw new IOException("the answer ended inside a chunk size");
            }
            String sizeText = new String(bytes, position, lineEnd - position, StandardCharsets.US_ASCII);
            int semicolon = sizeText.indexOf(';');
            int size;
            try {
                size = Integer.parseInt((semicolon < 0 ? sizeText : sizeText.substring(0, semicolon)).strip(), 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size");
            }
            position = lineEnd + 2;
            if (size == 0) {
                // Trailers, if any, end with an empty line.
                if (indexOf(bytes, crlf, position) < 0) {
                    throw new IOException("the answer ended inside its trailer");
                }
                return body.toByteArray();
            }
            if (size < 0 || bytes.length - position < size + 2) {
                throw new IOException("the answer ended inside a chunk");
            }
            body.write(bytes, position, size);
            position += size + 2;
        }
    }

    private static int indexOf(byte[] bytes, byte[] pattern, int from) {
        outer:
        for (int i = from; i <= bytes.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (bytes[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
