package dev.tokenkeeper.daemon.assembly;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a 2-CPU machine the JDK's {@code HttpClient.sendAsync}, which {@code CappedBody.send} uses, hands
 * every answer to the common pool's stand-in, a new thread per answer; {@link CommonPool#atLeastTwo}
 * gives it a pool. Checked in a JVM of its own that sees 2 CPUs whatever the machine has (the common pool
 * is made once per JVM), against a local server, with and without the setting.
 */
class CommonPoolTest {

    private static final int CALLS = 40;

    private static final String PROBE = """
            import com.sun.net.httpserver.HttpServer;
            import java.lang.management.ManagementFactory;
            import java.lang.reflect.Method;
            import java.net.InetAddress;
            import java.net.InetSocketAddress;
            import java.net.URI;
            import java.net.http.HttpClient;
            import java.net.http.HttpRequest;
            import java.time.Duration;

            public class Probe {
                public static void main(String[] args) throws Exception {
                    if (args[0].equals("set")) {
                        Method set = Class.forName("dev.tokenkeeper.daemon.assembly.CommonPool").getMethod("atLeastTwo");
                        set.invoke(null);
                    }
                    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
                    server.createContext("/", exchange -> {
                        byte[] body = "{}".getBytes();
                        exchange.sendResponseHeaders(200, body.length);
                        exchange.getResponseBody().write(body);
                        exchange.close();
                    });
                    server.start();
                    HttpClient client = HttpClient.newHttpClient();
                    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/")).build();
                    Method send = Class.forName("dev.tokenkeeper.api.http.CappedBody")
                            .getMethod("send", HttpClient.class, HttpRequest.class, int.class, Duration.class);
                    send.invoke(null, client, request, 1024, Duration.ofSeconds(10));
                    long before = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();
                    for (int i = 0; i < Integer.parseInt(args[1]); i++) {
                        send.invoke(null, client, request, 1024, Duration.ofSeconds(10));
                    }
                    System.out.println("threads started: " + (ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - before));
                    server.stop(0);
                }
            }
            """;

    @TempDir
    Path folder;

    @Test
    void upstreamCallsStartNoThreadPerAnswerOnTwoCpus() throws Exception {
        long started = threadsStarted("set");
        assertTrue(started < CALLS / 4, started + " threads started for " + CALLS + " calls");
    }

    @Test
    void withoutTheSettingEveryAnswerStartsAThread() throws Exception {
        // What the test above would see if the setting did nothing: it can fail.
        long started = threadsStarted("unset");
        assertTrue(started >= CALLS, started + " threads started for " + CALLS + " calls: the JDK no longer starts one per answer, the setting may go");
    }

    private long threadsStarted(String mode) throws Exception {
        Path probe = folder.resolve("Probe.java");
        Files.writeString(probe, PROBE);
        String path = String.join(File.pathSeparator, Stream.of("jdk.module.path", "java.class.path")
                .map(System::getProperty).filter(value -> value != null && !value.isBlank()).toList());
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:ActiveProcessorCount=2", "-cp", path, probe.toString(), mode, String.valueOf(CALLS));
        Path log = folder.resolve("probe-" + mode + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean ended = process.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            process.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(ended, "the probe did not end within 60 s: " + output);
        assertEquals(0, process.exitValue(), output);
        Matcher started = Pattern.compile("threads started: (\\d+)").matcher(output);
        assertTrue(started.find(), output);
        return Long.parseLong(started.group(1));
    }
}
