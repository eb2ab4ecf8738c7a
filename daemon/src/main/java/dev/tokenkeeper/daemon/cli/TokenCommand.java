package dev.tokenkeeper.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.CredentialId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code tokenkeeper token ID}: prints a currently valid token, for scripts. */
@Command(name = "token", description = "Print a currently valid token (refreshing first if needed).")
final class TokenCommand extends Subcommand implements Callable<Integer> {

    @Mixin
    CredentialArgument id;

    @Option(names = "--min-validity", defaultValue = "60", description = "seconds the token must still be valid (default: ${DEFAULT-VALUE})")
    int minValidity;

    @Option(names = "--header", description = "print the HTTP headers to send instead of the bare token")
    boolean header;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        CredentialId credential = id.credential();
        JsonNode answer = daemon()
                .get("/api/v1/credentials/" + credential + "/token?minValidity=" + minValidity).orFail("").body();
        if (answer.hasNonNull("warning")) {
            err().println("warning: " + answer.path("warning").asText());
        }
        var out = out();
        if (json.on()) {
            out.println(answer.toPrettyString());
        } else if (header) {
            answer.path("headers").fields().forEachRemaining(e -> out.println(e.getKey() + ": " + e.getValue().asText()));
        } else {
            out.println(answer.path("token").asText());
        }
        return 0;
    }
}
