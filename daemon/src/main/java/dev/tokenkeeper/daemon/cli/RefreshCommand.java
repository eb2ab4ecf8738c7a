package dev.tokenkeeper.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.CredentialId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tokenkeeper refresh ID}: refreshes now if needed, or always with {@code --force}. */
@Command(name = "refresh", description = "Refresh a credential now (if it needs it, or always with --force).")
final class RefreshCommand extends Subcommand implements Callable<Integer> {

    @Mixin
    CredentialArgument id;

    @Option(names = "--force", description = "refresh even if the token is far from expiry")
    boolean force;

    @Override
    public Integer call() {
        CredentialId credential = id.credential();
        JsonNode answer = daemon()
                .post("/api/v1/credentials/" + credential + "/refresh" + (force ? "?force=true" : ""), Map.of())
                .orFail("").body();
        String outcome = answer.path("outcome").asText();
        String detail = answer.path("detail").asText("");
        out().println(credential + ": " + outcome + (detail.isEmpty() ? "" : " (" + detail + ")"));
        return outcome.equals("refreshed") || outcome.equals("skipped") ? 0 : 1;
    }
}
