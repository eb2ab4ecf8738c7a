package dev.tokenkeeper.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.tokenkeeper.daemon.config.DaemonConfig;
import dev.tokenkeeper.daemon.http.AdminToken;
import dev.tokenkeeper.daemon.http.Json;
import dev.tokenkeeper.daemon.socketclient.TcpHttpClient;
import dev.tokenkeeper.daemon.socketclient.UnixHttpClient;
import dev.tokenkeeper.daemon.tls.TlsClient;
import jdk.net.UnixDomainPrincipal;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The CLI's side of the control API. */
final class ApiClient {

    /**
     * An answer of the API.
     *
     * @param status the HTTP status
     * @param body   the JSON body (a NullNode when empty)
     */
    record Answer(int status, JsonNode body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        /**
         * @param context what was being done, e.g. "import failed"
         * @return this answer when it is a success
         * @throws IllegalStateException with the API's one-line message otherwise (printed by {@link Main})
         */
        Answer orFail(String context) {
            if (!ok()) {
                throw new IllegalStateException(context.isEmpty() ? errorMessage() : context + ": " + errorMessage());
            }
            return this;
        }

        /** @return the API's error message, or the status */
        String errorMessage() {
            JsonNode message = body.get("message");
            return message != null && message.isTextual() ? message.asText() : "HTTP " + status;
        }
    }

    /** How long the CLI waits for the daemon's answer (which itself answers within its upstream timeout + 1 s). */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(120);

    /** Set when the CLI talks TLS (a trusted certificate is configured). */
    private final HttpClient http;
    private final String baseUrl;
    private final DaemonConfig config;
    private boolean serverProved;
    /** Set when the CLI talks over the Unix domain socket. */
    private final UnixHttpClient unix;
    /** Set when the CLI talks plain http over TCP: no JDK HttpClient to start for two small requests. */
    private final TcpHttpClient tcp;
    /** The user holding the socket, once it proved that it is the daemon holding the admin token. */
    private UserPrincipal provenPeer;

    /** The socket the CLI uses when TOKENKEEPER_LISTEN is not unix: but a daemon made one here anyway. */
    static final String DEFAULT_SOCKET = "tokenkeeper.sock";

    ApiClient(DaemonConfig config) {
        this.config = config;
        this.unix = config.listen().unixSocket()
                .or(() -> Optional.of(config.stateDirectory().resolve(DEFAULT_SOCKET))
                        .filter(socket -> Files.exists(socket, LinkOption.NOFOLLOW_LINKS)))
                .map(socket -> new UnixHttpClient(socket, ANSWER_TIMEOUT.plusSeconds(5)))
                .orElse(null);
        Optional<Path> trusted = TlsClient.trusted(config.settings());
        this.http = unix != null || trusted.isEmpty() ? null
                : TlsClient.trusting(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)), trusted.get()).build();
        this.tcp = unix != null || trusted.isPresent() ? null
                : new TcpHttpClient(URI.create(config.listen().baseUrl()), Duration.ofSeconds(5),
                ANSWER_TIMEOUT.plusSeconds(5));
        this.baseUrl = unix != null ? "unix:" + unix.socket()
                : trusted.isPresent() ? config.listen().baseUrl().replaceFirst("^http:", "https:") : config.listen().baseUrl();
    }

    Answer get(String path) {
        return call("GET", path, null);
    }

    Answer post(String path, Object body) {
        return call("POST", path, json(body));
    }

    Answer put(String path, Object body) {
        return call("PUT", path, json(body));
    }

    /**
     * @param path a route answering text (such as {@code /metrics})
     * @return the body, or empty when the answer is not a success
     */
    Optional<String> text(String path) {
        if (unix != null) {
            try {
                String token = AdminToken.read(config.adminTokenFile());
                proveSocket(token);
                var response = unix.send("GET", path, Map.of("Authorization", "Bearer " + token), null, this::provenPeerOnly);
                return response.status() == 200 ? Optional.of(response.body()) : Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        try {
            var response = exchange("GET", path, Map.of("Accept", "application/json"), null, ANSWER_TIMEOUT);
            return response.status() == 200 ? Optional.of(response.body()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** @return the base URL the client talks to (https when TLS is configured) */
    String baseUrl() {
        return baseUrl;
    }

    Answer delete(String path) {
        return call("DELETE", path, null);
    }

    /** One exchange over TCP: plain http through the small client, TLS through the JDK's. */
    private UnixHttpClient.Response exchange(String method, String path, Map<String, String> headers, String body,
                                             Duration timeout) throws IOException, InterruptedException {
        if (tcp != null) {
            return tcp.send(method, path, headers, body);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        headers.forEach(request::header);
        HttpResponse<String> response = whole(request.build());
        Map<String, String> heads = new LinkedHashMap<>();
        response.headers().map().forEach((name, values) -> heads.put(name, String.join(", ", values)));
        return new UnixHttpClient.Response(response.statusCode(), heads, response.body());
    }

    /**
     * Whoever listens on the port gets the bearer only after proving it holds the admin token: a
     * program that took the port while the daemon restarts learns nothing.
     */
    private void challenge(String token) throws IOException, InterruptedException {
        if (serverProved) {
            return;
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String nonce = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        var answer = exchange("GET", AdminToken.CHALLENGE_PATH + "?nonce=" + nonce, Map.of("Accept", "application/json"),
                null, Duration.ofSeconds(30));
        String proof = "";
        if (answer.status() == 200) {
            proof = Json.MAPPER.readTree(answer.body()).path("proof").asText("");
        }
        if (!MessageDigest.isEqual(proof.getBytes(StandardCharsets.US_ASCII),
                AdminToken.expectedProof(token, nonce).getBytes(StandardCharsets.US_ASCII))) {
            throw new IllegalStateException("the service at " + baseUrl + " did not prove that it holds the admin token"
                    + " (HTTP " + answer.status() + "), so the token was not sent: another program may hold the port,"
                    + " or the daemon uses another admin token file (TOKENKEEPER_ADMIN_TOKEN_FILE)");
        }
        serverProved = true;
    }

    /**
     * The socket's challenge: a folder others may write lets another user bind the socket's path
     * while the daemon is stopped (the daemon refuses such a folder, but the CLI cannot know which
     * folder the daemon saw). The answer is bound to the uid the daemon runs as, and the kernel says
     * which uid holds the socket ({@code SO_PEERCRED}): both must agree, so neither a squatter nor a
     * squatter relaying the challenge to the daemon elsewhere gets the token, and every later
     * request goes out only to that same uid.
     */
    private void proveSocket(String token) throws IOException {
        if (provenPeer != null) {
            return;
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String nonce = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        UserPrincipal[] peer = new UserPrincipal[1];
        var answer = unix.send("GET", AdminToken.CHALLENGE_PATH + "?nonce=" + nonce, Map.of("Accept", "application/json"),
                null, principal -> peer[0] = principal.user());
        int uid = -1;
        String proof = "";
        if (answer.status() == 200) {
            try {
                JsonNode json = Json.MAPPER.readTree(answer.body());
                uid = json.path("uid").asInt(-1);
                proof = json.path("uidProof").asText("");
            } catch (IOException notJson) {
                proof = "";
            }
        }
        if (uid < 0 || !MessageDigest.isEqual(proof.getBytes(StandardCharsets.US_ASCII),
                AdminToken.expectedProof(token, AdminToken.boundToUid(nonce, uid)).getBytes(StandardCharsets.US_ASCII))) {
            throw new IllegalStateException("the service at " + baseUrl + " (a socket held by user " + peer[0].getName()
                    + ") did not prove that it holds the admin token (HTTP " + answer.status() + "), so the token was not"
                    + " sent: another user may have bound the socket's path while the daemon was stopped (is its folder"
                    + " writable by others? `ls -ld " + unix.socket().toAbsolutePath().getParent() + "`), or the daemon"
                    + " uses another admin token file (TOKENKEEPER_ADMIN_TOKEN_FILE)");
        }
        UserPrincipal daemonUser;
        try {
            daemonUser = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(Integer.toString(uid));
        } catch (IOException unknown) {
            daemonUser = null;
        }
        if (!peer[0].equals(daemonUser)) {
            throw new IllegalStateException("the socket " + unix.socket() + " is held by user " + peer[0].getName()
                    + ", but the daemon that proved it holds the admin token runs as uid " + uid + ": a program of"
                    + " another user passes the challenge on to the daemon, so the token was not sent; remove "
                    + unix.socket() + " and restart the daemon, with the socket in a folder only its user can write");
        }
        provenPeer = peer[0];
    }

    private void provenPeerOnly(UnixDomainPrincipal peer) {
        if (!peer.user().equals(provenPeer)) {
            throw new IllegalStateException("the socket " + unix.socket() + " changed hands: it is now held by user "
                    + peer.user().getName() + ", not by the daemon's user " + provenPeer.getName()
                    + ", so the token was not sent");
        }
    }

    /** One request with the admin token, to the daemon that proved it holds that token. */
    private Answer call(String method, String path, String body) {
        String token = AdminToken.read(config.adminTokenFile());
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Accept", "application/json");
        headers.put("Authorization", "Bearer " + token);
        if (body != null) {
            headers.put("Content-Type", "application/json");
        }
        try {
            UnixHttpClient.Response response;
            if (unix != null) {
                proveSocket(token);
                response = unix.send(method, path, headers, body, this::provenPeerOnly);
            } else {
                challenge(token);
                response = exchange(method, path, headers, body, ANSWER_TIMEOUT);
            }
            String text = response.body();
            return new Answer(response.status(), text == null || text.isBlank() ? NullNode.getInstance() : Json.MAPPER.readTree(text));
        } catch (ConnectException e) {
            throw new DaemonNotRunningException(baseUrl);
        } catch (HttpTimeoutException e) {
            throw new IllegalStateException("the daemon at " + baseUrl + " did not answer in time");
        } catch (IOException e) {
            if (e.getCause() instanceof ConnectException) {
                throw new DaemonNotRunningException(baseUrl);
            }
            throw new IllegalStateException("cannot talk to the daemon at " + baseUrl + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    /** The request timeout covers the headers only; this deadline also covers the body. */
    private HttpResponse<String> whole(HttpRequest request) throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<String>> exchange =
                http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        try {
            return exchange.get(request.timeout().orElse(ANSWER_TIMEOUT).toMillis() + 5_000,
                    TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw new HttpTimeoutException("no complete answer");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        }
    }

    private static String json(Object body) {
        try {
            return Json.MAPPER.writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
