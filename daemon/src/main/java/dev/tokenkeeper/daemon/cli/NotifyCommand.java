package dev.tokenkeeper.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tokenkeeper notify test}: a {@code test} event to every channel, and per channel delivered or why not. */
@Command(name = "notify", description = "Notifications to a human (webhooks, command hook).",
        subcommands = NotifyCommand.Test.class)
final class NotifyCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code tokenkeeper notify test}. */
    @Command(name = "test", description = "Send a test event to every configured channel; print per channel delivered or why not.")
    static final class Test extends Subcommand implements Callable<Integer> {

        @Override
        public Integer call() {
            JsonNode results = daemon().post("/api/v1/notify/test", Map.of()).orFail("notify test failed").body().path("results");
            if (results.isEmpty()) {
                out().println("no channel configured: set TOKENKEEPER_NOTIFY_URL and/or TOKENKEEPER_NOTIFY_COMMAND for the daemon");
                return 1;
            }
            boolean all = true;
            for (JsonNode result : results) {
                boolean delivered = result.path("delivered").asBoolean();
                all &= delivered;
                out().println(result.path("channel").asText() + ": " + (delivered ? "delivered" : "NOT delivered")
                        + " (" + result.path("detail").asText() + ")");
            }
            return all ? 0 : 1;
        }
    }
}
