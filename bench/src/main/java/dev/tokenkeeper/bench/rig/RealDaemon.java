package dev.tokenkeeper.bench.rig;

import dev.tokenkeeper.bench.startup.DaemonLauncher;
import dev.tokenkeeper.bench.startup.DaemonState;
import dev.tokenkeeper.bench.upstream.InstantUpstream;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The real daemon process ({@code bin/tokenkeeper run} of the assembled distribution) on a state
 * folder of its own, with the instant imitation upstream behind its Gazelle provider, for the
 * measurements that load its API.
 */
public final class RealDaemon implements AutoCloseable {

    /** The token read path of the credential {@link #importGazelle()} imports. */
    public static final String TOKEN_PATH = "/api/v1/credentials/gazelle:default/token";

    private final InstantUpstream upstream;
    private final DaemonLauncher process;
    private final String adminToken;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private RealDaemon(InstantUpstream upstream, DaemonLauncher process, String adminToken) {
        this.upstream = upstream;
        this.process = process;
        this.adminToken = adminToken;
    }

    /**
     * @param work         scratch folder
     * @param name         the state folder's and the log's name in it
     * @param distribution the assembled distribution
     * @param credentials  sealed credentials pre-filled in its store
     * @return the daemon, answering {@code /healthz}
     * @throws Exception when it does not start
     */
    public static RealDaemon start(Path work, String name, Path distribution, int credentials) throws Exception {
        DaemonState state = DaemonState.prepare(work.resolve(name), credentials);
        int port = DaemonLauncher.freePort();
        InstantUpstream upstream = InstantUpstream.start(Duration.ZERO, 3600);
        try {
            DaemonLauncher process = DaemonLauncher.start(DaemonState.runCommand(distribution),
                    state.environment(port, upstream.tokenUrl()), port, work.resolve(name + ".log"));
            return new RealDaemon(upstream, process, state.adminToken());
        } catch (Exception | Error e) {
            upstream.close();
            throw e;
        }
    }

    /** @return the control API's port on 127.0.0.1 */
    public int port() {
        return process.port();
    }

    /** @return the admin token the daemon generated */
    public String adminToken() {
        return adminToken;
    }

    /** @return the process's resident memory now */
    public long rssKb() {
        return process.rssKb();
    }

    /**
     * A request with the admin token.
     *
     * @param method the method
     * @param path   the path
     * @param body   a JSON body, or null for none
     * @return the answer's body
     * @throws IOException when the daemon does not answer
     * @throws InterruptedException when interrupted
     * @throws IllegalStateException when it answers anything but 2xx
     */
    public String send(String method, String path, String body) throws IOException, InterruptedException {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
                .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() / 100 != 2) {
            throw new IllegalStateException(method + " " + path + " answered " + answer.statusCode() + ": " + answer.body());
        }
        return answer.body();
    }

    /**
     * Imports {@code gazelle:default} with an access token valid for a day, read at {@link #TOKEN_PATH}.
     *
     * @throws IOException when the daemon does not answer
     * @throws InterruptedException when interrupted
     */
    public void importGazelle() throws IOException, InterruptedException {
        send("PUT", "/api/v1/credentials/gazelle:default", "{\"tokenJson\":{\"access_token\":\"at-read\","
                + "\"refresh_token\":\"rt-read\",\"token_type\":\"Bearer\",\"expires_in\":86400,\"created_at\":"
                + System.currentTimeMillis() / 1000 + "}}");
    }

    /** Stops the daemon, then the imitation. */
    @Override
    public void close() throws InterruptedException {
        try {
            process.close();
        } finally {
            upstream.close();
        }
    }
}
