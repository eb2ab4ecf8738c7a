package dev.tokenkeeper.bench.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.bench.load.LoadDriver;
import dev.tokenkeeper.bench.load.Phases;
import dev.tokenkeeper.bench.report.ResultTable;
import dev.tokenkeeper.bench.rig.RealDaemon;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Measurement 6: what the web console costs. The RSS of an idle real daemon before and after one
 * visit of every console page, then {@code GET /ui/} (logged in, the overview of every credential)
 * against {@code GET /healthz} on the same daemon, alternating phases, medians of the runs.
 */
public final class ConsoleCost {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration SETTLE = Duration.ofSeconds(5);

    private ConsoleCost() {
    }

    /**
     * @param table        where the figures go
     * @param work         scratch folder
     * @param distribution the assembled distribution
     * @param credentials  credentials pre-filled (rows of the overview)
     * @param connections  concurrent connections of the latency phases
     * @param seconds      seconds per measured phase
     * @param runs         measured phases of each kind
     * @throws Exception when the daemon fails
     */
    public static void run(ResultTable table, Path work, Path distribution, int credentials, int connections, int seconds,
                           int runs) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
        try (RealDaemon daemon = RealDaemon.start(work, "console", distribution, credentials)) {
            int port = daemon.port();
            String base = "http://127.0.0.1:" + port;
            String admin = daemon.adminToken();
            JsonNode list = JSON.readTree(daemon.send("GET", "/api/v1/credentials", null));
            Thread.sleep(SETTLE.toMillis()); // measuring an idle process: let start-up work finish
            long before = daemon.rssKb();

            HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base + "/ui/login"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("token=" + URLEncoder.encode(admin, StandardCharsets.UTF_8)))
                    .build(), HttpResponse.BodyHandlers.ofString());
            String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow(() ->
                    new IllegalStateException("login answered " + login.statusCode() + " without a session"));
            String cookie = setCookie.substring(0, setCookie.indexOf(';'));
            List<String> pages = new ArrayList<>(List.of("/ui/login", "/ui/", "/ui/import", "/ui/static/console.css",
                    "/ui/static/console.js"));
            for (JsonNode credential : list) {
                String id = credential.get("id").asText();
                pages.add("/ui/credentials/" + id);
                pages.add("/ui/credentials/" + id + "/delete");
            }
            for (String page : pages) {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(base + page)).header("Cookie", cookie)
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (answer.statusCode() != 200) {
                    throw new IllegalStateException(page + " answered " + answer.statusCode());
                }
            }
            Thread.sleep(SETTLE.toMillis());
            long after = daemon.rssKb();
            double grownMb = (after - before) / 1024.0;
            System.out.printf("    [6] RSS idle %d kB, after %d pages %d kB (+%.1f MB)%n", before, pages.size(), after, grownMb);
            table.add(new ResultTable.Row("7", "RSS of the idle daemon after one visit of every console page ("
                    + pages.size() + " pages, " + list.size() + " credentials)", ResultTable.fmt(after / 1024.0) + " MB",
                    "before " + ResultTable.fmt(before / 1024.0) + " MB", "+" + ResultTable.fmt(grownMb) + " MB",
                    ResultTable.goal(grownMb < 8, "< 8 MB more")));

            List<String> session = List.of("Cookie: " + cookie);
            LoadDriver.run(port, "/healthz", List.of(), connections, Duration.ofSeconds(2));
            LoadDriver.run(port, "/ui/", session, connections, Duration.ofSeconds(2));
            Phases health = new Phases();
            Phases ui = new Phases();
            for (int r = 0; r < runs; r++) {
                LoadDriver.Result h = health.add(LoadDriver.run(port, "/healthz", List.of(), connections,
                        Duration.ofSeconds(seconds)));
                LoadDriver.Result u = ui.add(LoadDriver.run(port, "/ui/", session, connections, Duration.ofSeconds(seconds)));
                System.out.printf("    [6] run %d: /healthz %.0f/s p50 %.2f ms p99 %.2f ms; /ui/ %.0f/s p50 %.2f ms p99 %.2f ms%n",
                        r + 1, h.perSecond(), h.millis(0.5), h.millis(0.99), u.perSecond(), u.millis(0.5), u.millis(0.99));
            }
            long errors = health.errors() + ui.errors();
            double ratio = ui.millis(0.99) / health.millis(0.99);
            table.add(new ResultTable.Row("7", "GET /ui/ (overview, " + list.size() + " credentials) p50 / p99, "
                            + connections + " connections" + (errors > 0 ? ", " + errors + " errors" : ""),
                    ResultTable.fmt(ui.millis(0.5)) + " / " + ResultTable.fmt(ui.millis(0.99)) + " ms ("
                            + ResultTable.fmt(ui.rate()) + " req/s)",
                    "/healthz " + ResultTable.fmt(health.millis(0.5)) + " / " + ResultTable.fmt(health.millis(0.99)) + " ms", ResultTable.fmt(ratio) + " (p99)", ResultTable.goal(ratio <= 2, "p99 within 2× /healthz")));
        }
    }
}
