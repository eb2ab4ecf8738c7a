package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.api.CredentialId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tokenkeeper refresh ID}: refreshes now if needed, or always with {@code --force}. */
@Command(name = "refresh", description = "Refresh a credential now (if it needs it, or always with --force).")
final class RefreshCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Parameters(index = "0", description = "credential id, e.g. gazelle:default")
    String id;

    @Option(names = "--force", description = "refresh even if the token is far from expiry")
    boolean force;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        CredentialId credential = CredentialId.parse(id);
        ApiClient.Answer answer = new ApiClient(common.config())
                .post("/api/v1/credentials/" + credential + "/refresh" + (force ? "?force=true" : ""), Map.of());
        answer.orFail("");
        String outcome = answer.body().path("outcome").asText();
        String detail = answer.body().path("detail").asText("");
        spec.commandLine().getOut().println(credential + ": " + outcome + (detail.isEmpty() ? "" : " (" + detail + ")"));
        return outcome.equals("refreshed") || outcome.equals("skipped") ? 0 : 1;
    }
}
