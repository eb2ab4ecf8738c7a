package dev.tokenkeeper.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code tokenkeeper status}: every credential, its status and expiries; never a secret. */
@Command(name = "status", description = "Show every credential's status and expiries.")
final class StatusCommand extends Subcommand implements Callable<Integer> {

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        ApiClient.Answer answer = daemon().get("/api/v1/credentials");
        PrintWriter out = out();
        answer.orFail("");
        if (json.on()) {
            out.println(answer.body().toPrettyString());
            return 0;
        }
        if (answer.body().isEmpty()) {
            out.println("no credentials yet: import one with `tokenkeeper import <provider> --token-json FILE` (see `tokenkeeper import --help`)");
            return 0;
        }
        String format = "%-28s %-22s %-21s %-21s %-21s %s%n";
        out.printf(format, "ID", "STATUS", "ACCESS EXPIRES", "REFRESH EXPIRES", "NEXT REFRESH", "LAST ERROR");
        for (JsonNode c : answer.body()) {
            out.printf(format, c.path("id").asText(), c.path("status").asText(), time(c, "accessExpiresAt"),
                    time(c, "refreshExpiresAt"), time(c, "nextRefreshAt"), c.path("lastError").asText(c.path("note").asText("")));
        }
        return 0;
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
