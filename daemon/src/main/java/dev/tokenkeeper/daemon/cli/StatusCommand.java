package dev.tokenkeeper.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** {@code tokenkeeper status}: every credential, its status and expiries; never a secret. */
@Command(name = "status", description = "Show every credential's status and expiries.")
final class StatusCommand extends Subcommand implements Callable<Integer> {

    @Mixin
    JsonOption json;

    /** Credentials asked for per request (the API's most). */
    private static final int PAGE = 1000;

    @Override
    public Integer call() {
        ArrayNode all = all(daemon());
        PrintWriter out = out();
        if (json.on()) {
            out.println(all.toPrettyString());
            return 0;
        }
        if (all.isEmpty()) {
            out.println("no credentials yet: import one with `tokenkeeper import <provider> --token-json FILE` (see `tokenkeeper import --help`)");
            return 0;
        }
        String format = "%-28s %-22s %-21s %-21s %-21s %s%n";
        out.printf(format, "ID", "STATUS", "ACCESS EXPIRES", "REFRESH EXPIRES", "NEXT REFRESH", "LAST ERROR");
        for (JsonNode c : all) {
            out.printf(format, c.path("id").asText(), c.path("status").asText(), time(c, "accessExpiresAt"),
                    time(c, "refreshExpiresAt"), time(c, "nextRefreshAt"), c.path("lastError").asText(c.path("note").asText("")));
        }
        return 0;
    }

    /** Every credential, a page at a time: the daemon holds one page per answer, not the store. */
    private static ArrayNode all(ApiClient daemon) {
        ArrayNode all = JsonNodeFactory.instance.arrayNode();
        String after = "";
        while (true) {
            JsonNode page = daemon.get("/api/v1/credentials?limit=" + PAGE
                    + (after.isEmpty() ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8))).orFail("").body();
            if (!after.isEmpty() && !page.isEmpty() && page.get(0).path("id").asText().compareTo(after) <= 0) {
                return all; // a daemon that does not page answered everything again
            }
            page.forEach(all::add);
            if (page.size() < PAGE) {
                return all;
            }
            after = page.get(page.size() - 1).path("id").asText();
        }
    }

    private static String time(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return "-";
        }
        String text = value.asText();
        return text.length() > 19 ? text.substring(0, 19) + "Z" : text;
    }
}
