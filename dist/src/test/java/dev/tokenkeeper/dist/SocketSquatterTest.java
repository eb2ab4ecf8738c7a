package dev.tokenkeeper.dist;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Another local user binds the configured socket path in a folder everyone may write (after the
 * daemon stopped) with a small HTTP responder that records every byte: root's CLI refuses to talk
 * to it, and the admin token never arrives. And the daemon itself refuses such a folder.
 */
class SocketSquatterTest {

    /** The squatter: answers every request with a plausible JSON body and records what it got. */
    private static final String FAKE = """
            import java.io.*;
            import java.net.*;
            import java.nio.*;
            import java.nio.channels.*;
            import java.nio.charset.StandardCharsets;
            import java.nio.file.*;

            public class Fake {
                public static void main(String[] args) throws Exception {
                    Path socket = Path.of(args[0]);
                    Path record = Path.of(args[1]);
                    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                        server.bind(UnixDomainSocketAddress.of(socket));
                        Files.setPosixFilePermissions(socket, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
                        System.out.println("listening");
                        while (true) {
                            try (SocketChannel client = server.accept()) {
                                ByteArrayOutputStream got = new ByteArrayOutputStream();
                                ByteBuffer in = ByteBuffer.allocate(8192);
                                while (!got.toString(StandardCharsets.ISO_8859_1).contains("\\r\\n\\r\\n")
                                        && client.read(in) > 0) {
                                    got.write(in.array(), 0, in.position());
                                    in.clear();
                                }
                                Files.write(record, got.toByteArray(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                                String body = "{\\"proof\\":\\"x\\",\\"uid\\":0,\\"uidProof\\":\\"x\\",\\"credentials\\":[],"
                                        + "\\"scheduler\\":{\\"running\\":true},\\"message\\":\\"all fine, says the squatter\\"}";
                                String answer = "HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: "
                                        + body.length() + "\\r\\nConnection: close\\r\\n\\r\\n" + body;
                                client.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.ISO_8859_1)));
                            } catch (IOException e) {
                                System.out.println("client: " + e);
                            }
                        }
                    }
                }
            }
            """;

    @TempDir
    Path temp;

    private LocalUser intruder;

    @BeforeEach
    void secondUser() throws Exception {
        intruder = LocalUser.require("tk-sock-intruder");
    }

    @Test
    void theCliSendsNoTokenToAnotherUsersSocket() throws Exception {
        // The intruder must reach the shared folder, as /run/something or /tmp/something would let it.
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path shared = Files.createDirectory(temp.resolve("shared"));
        Files.setAttribute(shared, "unix:mode", 01777);
        Path socket = shared.resolve("tk.sock");
        Path state = Files.createDirectory(temp.resolve("state"));
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String adminToken = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Path tokenFile = state.resolve("admin-token");
        Files.writeString(tokenFile, adminToken + "\n");
        Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));

        Path fakeFolder = Files.createDirectory(temp.resolve("fake"));
        Files.setPosixFilePermissions(fakeFolder, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path source = fakeFolder.resolve("Fake.java");
        Files.writeString(source, FAKE);
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rw-r--r--"));
        Path received = shared.resolve("received");
        Path fakeLog = temp.resolve("fake.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process fake = intruder.start(Map.of(), List.of(java, "-Xmx32m", source.toString(), socket.toString(),
                received.toString()), fakeLog);
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .failFast("the fake exited", () -> !fake.isAlive())
                    .until(() -> Files.readString(fakeLog).contains("listening"));
            assertTrue(Files.getOwner(socket).getName().equals(intruder.name()), "the intruder holds the socket path");

            Map<String, String> env = new HashMap<>();
            env.put("TOKENKEEPER_STATE_DIR", state.toString());
            env.put("TOKENKEEPER_LISTEN", "unix:" + socket);
            for (String[] command : List.of(new String[] {"status"}, new String[] {"token", "gazelle:default"},
                    new String[] {"report"}, new String[] {"scheduler", "stop"})) {
                DaemonProcess.Response run = CliProcess.run(env, command);
                String what = String.join(" ", command);
                assertNotEquals(0, run.status(), what + " succeeded against the squatter: " + run.body());
                assertTrue(run.body().contains("did not prove that it holds the admin token")
                        && run.body().contains("held by user " + intruder.name()), what + ": " + run.body());
                assertFalse(run.body().contains("says the squatter"), what + " printed the squatter's answer: " + run.body());
            }
        } finally {
            fake.destroy();
            if (!fake.waitFor(10, TimeUnit.SECONDS)) {
                fake.destroyForcibly();
            }
        }
        String all = Files.exists(received) ? Files.readString(received, StandardCharsets.ISO_8859_1) : "";
        assertTrue(all.contains("/auth-challenge"), "the squatter saw the challenges: " + all.length() + " bytes\n"
                + Files.readString(fakeLog));
        assertFalse(all.contains(adminToken), "the squatter received the admin token");
        assertFalse(all.toLowerCase().contains("authorization"), "the squatter received an Authorization header");
    }

    @Test
    void theDaemonRefusesASocketFolderOthersMayChange() throws Exception {
        for (int mode : new int[] {01777, 0770, 0757}) {
            Path folder = Files.createDirectory(temp.resolve("run-" + Integer.toOctalString(mode)));
            Files.setAttribute(folder, "unix:mode", mode);
            assertRefused(folder, "may be written by its group or others (mode " + String.format("%04o", mode) + ")",
                    "chmod go-w " + folder);
        }
        Path theirs = Files.createDirectory(temp.resolve("run-theirs"));
        Files.setPosixFilePermissions(theirs, PosixFilePermissions.fromString("rwxr-xr-x"));
        intruder.chown(theirs);
        assertRefused(theirs, "is owned by uid " + intruder.uid() + " (" + intruder.name() + ")", "chown root: " + theirs);
    }

    private void assertRefused(Path folder, String... said) throws Exception {
        Path socket = folder.resolve("tk.sock");
        Map<String, String> env = new HashMap<>(Map.of("TOKENKEEPER_LISTEN", "unix:" + socket,
                "TOKENKEEPER_AUTO_REFRESH_ENABLED", "false"));
        try (DaemonProcess daemon = new DaemonProcess(temp.resolve("state-" + folder.getFileName()), env)) {
            IllegalStateException refused = assertThrows(IllegalStateException.class, daemon::start);
            assertTrue(refused.getMessage().contains("exited with 2"), refused.getMessage());
            String output = daemon.output();
            assertTrue(output.contains("TOKENKEEPER_LISTEN=unix:" + socket + ": socket folder " + folder), output);
            for (String words : said) {
                assertTrue(output.contains(words), "says '" + words + "':\n" + output);
            }
        }
        assertFalse(Files.exists(socket), "no socket was made in " + folder);
    }
}
