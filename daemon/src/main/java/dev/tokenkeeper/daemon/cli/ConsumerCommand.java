package dev.tokenkeeper.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.daemon.http.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tokenkeeper consumer add|list|revoke}: programs with tokens of their own, scoped to some credentials. */
@Command(name = "consumer", description = "Give each program its own token, limited to the credentials it needs.",
        subcommands = {ConsumerCommand.Add.class, ConsumerCommand.ListConsumers.class, ConsumerCommand.Revoke.class})
final class ConsumerCommand extends CommandGroup {

    /** {@code tokenkeeper consumer add <name> --credential <id>... [--json]}. */
    @Command(name = "add", description = "Create a consumer and print its token (shown this once only).")
    static final class Add extends Subcommand implements Callable<Integer> {

        @Parameters(index = "0", description = "the consumer's name (letters, digits, '.', '_', '-')")
        String name;

        @Option(names = "--credential", required = true, arity = "1..*",
                description = "a credential it may read, provider:account (repeat for several)")
        List<String> credentials;

        @Mixin
        JsonOption json;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("credentials", credentials);
            JsonNode created = daemon().post("/api/v1/consumers", body).orFail("consumer add failed").body();
            if (json.on()) {
                out().println(Json.MAPPER.writeValueAsString(created));
            } else {
                out().println(created.path("token").asText());
                err().println("consumer " + name + " may read " + created.path("credentials")
                        + "; this token is shown once: give it to the program now (revoke with"
                        + " `tokenkeeper consumer revoke " + name + "`)");
            }
            return 0;
        }
    }

    /** {@code tokenkeeper consumer list}. */
    @Command(name = "list", description = "List consumers: their credentials, last token read and read count (this daemon's).")
    static final class ListConsumers extends ListCommand {

        @Override
        String path() {
            return "/api/v1/consumers";
        }

        @Override
        void print(JsonNode list) {
            if (list.isEmpty()) {
                out().println("no consumers: create one with `tokenkeeper consumer add <name> --credential <id>`");
            }
            for (JsonNode consumer : list) {
                List<String> ids = new ArrayList<>();
                consumer.path("credentials").forEach(id -> ids.add(id.asText()));
                out().printf("%-24s %-40s last read %s, %d reads%n", consumer.path("name").asText(), String.join(",", ids),
                        consumer.path("lastRead").isTextual() ? consumer.path("lastRead").asText() : "never",
                        consumer.path("reads").asLong());
            }
        }
    }

    /** {@code tokenkeeper consumer revoke <name>}. */
    @Command(name = "revoke", description = "Delete a consumer: its token stops working at once.")
    static final class Revoke extends Subcommand implements Callable<Integer> {

        @Parameters(index = "0", description = "the consumer's name")
        String name;

        @Override
        public Integer call() {
            daemon().delete("/api/v1/consumers/" + name).orFail("consumer revoke failed");
            out().println("consumer " + name + " revoked");
            return 0;
        }
    }
}
