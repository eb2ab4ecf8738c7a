package dev.tokenkeeper.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code tokenkeeper report}: per credential, refreshes, failures, success rate and last error over a window. */
@Command(name = "report", description = "Show refreshes, failures, success rate and last error per credential.")
final class ReportCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--since", defaultValue = "7d",
            description = "window: 7d, 12h, 30m, 2w, or an ISO-8601 instant (default: ${DEFAULT-VALUE})")
    String since;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        JsonNode report = daemon()
                .get("/api/v1/report?since=" + URLEncoder.encode(since, StandardCharsets.UTF_8)).orFail("").body();
        PrintWriter out = out();
        if (json.on()) {
            out.println(report.toPrettyString());
            return 0;
        }
        out.printf("since %s%n", time(report.path("since")));
        if (report.path("credentials").isEmpty()) {
            out.println("no credentials yet: import one with `tokenkeeper import <provider> --token-json FILE` (see `tokenkeeper import --help`)");
            return 0;
        }
        String format = "%-28s %-22s %9s %8s %9s %8s %-20s %s%n";
        out.printf(format, "ID", "STATUS", "REFRESHES", "FAILURES", "(PERM.)", "SUCCESS", "LAST REFRESH", "LAST ERROR");
        for (JsonNode c : report.path("credentials")) {
            JsonNode rate = c.path("successRate");
            out.printf(format, c.path("id").asText(), c.path("status").asText(), c.path("refreshes").asInt(),
                    c.path("failures").asInt(), c.path("permanentFailures").asInt(),
                    rate.isNumber() ? String.format(Locale.ROOT, "%.1f%%", rate.asDouble() * 100) : "-",
                    time(c.path("lastRefreshAt")), oneLine(c.path("lastError").asText("")));
        }
        return 0;
    }

    private static String time(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return "-";
        }
        String text = value.asText();
        return text.length() > 19 ? text.substring(0, 19) + "Z" : text;
    }

    private static String oneLine(String text) {
        String flat = text.replaceAll("\\s+", " ").strip();
        return flat.length() > 100 ? flat.substring(0, 100) + "..." : flat;
    }
}
