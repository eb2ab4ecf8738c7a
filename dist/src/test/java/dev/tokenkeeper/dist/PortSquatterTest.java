package dev.tokenkeeper.dist;

import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A plain listener on the configured port (what any local user can bind while the daemon restarts)
 * records everything every CLI command sends it: never the admin token. And against the real daemon
 * the same commands work, so the challenge does not get in the way.
 */
class PortSquatterTest {

    @TempDir
    Path temp;

    @Test
    void noCliCommandHandsTheAdminTokenToASquatter() throws Exception {
        Path state = Files.createDirectories(temp.resolve("state"));
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String adminToken = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Path tokenFile = state.resolve("admin-token");
        Files.writeString(tokenFile, adminToken + "\n");
        Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
        Path tokenJson = temp.resolve("token.json");
        Files.writeString(tokenJson, "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_in\":3600}");

        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try (ServerSocket squatter = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread recorder = new Thread(() -> record(squatter, received), "squatter");
            recorder.setDaemon(true);
            recorder.start();
            Map<String, String> env = new HashMap<>();
            env.put("TOKENKEEPER_STATE_DIR", state.toString());
            env.put("TOKENKEEPER_LISTEN", "127.0.0.1:" + squatter.getLocalPort());
            List<String[]> commands = List.of(new String[] {"status"}, new String[] {"token", "gazelle:default"},
                    new String[] {"refresh", "gazelle:default", "--force"},
                    new String[] {"report"}, new String[] {"scheduler", "stop"}, new String[] {"rekey"},
                    new String[] {"import", "gazelle", "--token-json", tokenJson.toString()});
            for (String[] command : commands) {
                DaemonProcess.Response run = CliProcess.run(env, command);
                assertNotEquals(0, run.status(), String.join(" ", command) + " succeeded against a squatter: " + run.body());
                assertTrue(run.body().contains("did not prove that it holds the admin token"),
                        String.join(" ", command) + ": " + run.body());
            }
        }
        String all = received.toString(StandardCharsets.ISO_8859_1);
        assertTrue(all.contains("/auth-challenge"), "the squatter saw the challenge requests: " + all.length() + " bytes");
        assertFalse(all.contains(adminToken), "the squatter received the admin token");
        assertFalse(all.contains("Authorization"), "the squatter received an Authorization header");
    }

    @Test
    void theRealDaemonPassesTheChallenge() throws Exception {
        DaemonProcess daemon = new DaemonProcess(temp.resolve("real"), DaemonProcess.fastRefreshSettings()).start();
        try {
            DaemonProcess.Response status = daemon.cli("status");
            assertEquals(0, status.status(), status.body());
            DaemonProcess.Response providers = daemon.cli("providers");
            assertEquals(0, providers.status(), providers.body());
        } finally {
            daemon.stop();
        }
    }

    @Test
    void onTheUnixSocketCurlAndTheCliWorkAndATcpSquatterHearsNothing() throws Exception {
        FakeGazelle gazelle = FakeGazelle.start();
        Path socket = temp.resolve("run/tk.sock");
        Map<String, String> env = DaemonProcess.fastRefreshSettings();
        env.putAll(gazelle.settings());
        env.put("TOKENKEEPER_LISTEN", "unix:" + socket);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        String consumerToken = "";
        DaemonProcess daemon = new DaemonProcess(temp.resolve("sock-state"), env);
        try (ServerSocket squatter = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread recorder = new Thread(() -> record(squatter, received), "squatter");
            recorder.setDaemon(true);
            recorder.start();
            daemon.start();
            String admin = daemon.adminToken();
            assertEquals("unix:" + socket, Files.readString(daemon.stateDir().resolve("listening")).trim());
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));

            DaemonProcess.Response health = daemon.curlOverSocket("/healthz");
            assertEquals(200, health.status(), health.body());
            assertEquals(401, daemon.curlOverSocket("/api/v1/credentials").status(), "the socket still needs the bearer");
            DaemonProcess.Response list = daemon.curlOverSocket("/api/v1/credentials", "Authorization: Bearer " + admin);
            assertEquals(200, list.status(), list.body());

            Path tokenJson = temp.resolve("seed.json");
            Files.writeString(tokenJson, gazelle.seedChain("default"));
            // The CLI reads TOKENKEEPER_LISTEN=unix:... and talks over the socket, after the socket's challenge.
            DaemonProcess.Response imported = daemon.cli("import", "gazelle", "--account", "default",
                    "--token-json", tokenJson.toString());
            assertEquals(0, imported.status(), imported.body());
            DaemonProcess.Response status = daemon.cli("status");
            assertEquals(0, status.status(), status.body());
            assertTrue(status.body().contains("gazelle:default"), status.body());
            DaemonProcess.Response doctor = daemon.cli("doctor");
            assertTrue(doctor.body().contains("running at unix:" + socket), doctor.body());
            DaemonProcess.Response token = daemon.cli("token", "gazelle:default", "--min-validity", "1");
            assertEquals(0, token.status(), token.body());
            assertTrue(gazelle.allIssuedSecrets().contains(token.body().trim()), "`token` printed an issued access token");
            // A consumer token (least privilege) works over the socket too, within its scope only.
            DaemonProcess.Response added = daemon.cli("consumer", "add", "socket-reader", "--credential", "gazelle:default", "--json");
            assertEquals(0, added.status(), added.body());
            java.util.regex.Matcher issued = java.util.regex.Pattern.compile("tkc_[A-Za-z0-9_-]+").matcher(added.body());
            assertTrue(issued.find(), "consumer add printed no token");
            consumerToken = issued.group();
            DaemonProcess.Response read = daemon.curlOverSocket("/api/v1/credentials/gazelle:default/token",
                    "Authorization: Bearer " + consumerToken);
            assertEquals(200, read.status(), read.body());
            assertEquals(403, daemon.curlOverSocket("/api/v1/credentials", "Authorization: Bearer " + consumerToken).status(),
                    "a consumer token lists nothing, over the socket too");

            daemon.stop(); // SIGTERM
            assertFalse(Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the socket file was not removed at shutdown");
            String output = daemon.output();
            assertFalse(output.contains(admin), "the daemon output holds the admin token");
            assertFalse(output.contains(consumerToken), "the daemon output holds the consumer token");
            for (String secret : gazelle.allIssuedSecrets()) {
                assertFalse(output.contains(secret), "the daemon output holds an issued secret");
            }
        } finally {
            daemon.stop();
            gazelle.close();
        }
        assertEquals(0, received.size(), "the TCP squatter received " + received.size() + " bytes");
    }

    @Test
    void aStaleSocketIsReplacedAndTheCliPrefersTheDefaultSocketOverASquattedPort() throws Exception {
        Path state = Files.createDirectories(temp.resolve("stale-state"));
        Path socket = state.resolve("tokenkeeper.sock");
        // A socket file nobody listens on, as a kill -9 leaves behind.
        try (var stale = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            stale.bind(java.net.UnixDomainSocketAddress.of(socket));
        }
        assertTrue(Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        DaemonProcess daemon = new DaemonProcess(state, Map.of("TOKENKEEPER_LISTEN", "unix:" + socket));
        try (ServerSocket squatter = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread recorder = new Thread(() -> record(squatter, received), "squatter");
            recorder.setDaemon(true);
            recorder.start();
            daemon.start();
            assertEquals(200, daemon.curlOverSocket("/healthz").status());
            // A CLI configured for the TCP port a squatter holds: the socket at <state>/tokenkeeper.sock wins.
            Map<String, String> env = new HashMap<>();
            env.put("TOKENKEEPER_STATE_DIR", state.toString());
            env.put("TOKENKEEPER_LISTEN", "127.0.0.1:" + squatter.getLocalPort());
            DaemonProcess.Response status = CliProcess.run(env, "status");
            assertEquals(0, status.status(), status.body());
            assertTrue(status.body().contains("no credentials yet"), status.body());
        } finally {
            daemon.stop();
        }
        assertEquals(0, received.size(), "the squatter received " + received.size() + " bytes");
    }

    /** Accepts connections until closed, keeps every byte, answers each with an empty JSON 200. */
    private static void record(ServerSocket squatter, ByteArrayOutputStream received) {
        while (!squatter.isClosed()) {
            try (Socket client = squatter.accept()) {
                client.setSoTimeout(2_000);
                InputStream in = client.getInputStream();
                byte[] buffer = new byte[8192];
                StringBuilder head = new StringBuilder();
                try {
                    int n;
                    while (!head.toString().contains("\r\n\r\n") && (n = in.read(buffer)) > 0) {
                        synchronized (received) {
                            received.write(buffer, 0, n);
                        }
                        head.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                    }
                } catch (SocketTimeoutException enough) {
                    // answer what arrived
                }
                client.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                        + "Connection: close\r\n\r\n{}").getBytes(StandardCharsets.ISO_8859_1));
            } catch (java.io.IOException closed) {
                // the test is over, or the client went away
            }
        }
    }
}
