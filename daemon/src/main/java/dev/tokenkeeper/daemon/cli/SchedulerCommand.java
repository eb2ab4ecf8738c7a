package dev.tokenkeeper.daemon.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tokenkeeper scheduler [status|start|stop|restart]}. */
@Command(name = "scheduler", description = "Show, start, stop or restart the refresh scheduler.")
final class SchedulerCommand extends Subcommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", defaultValue = "status", description = "status, start, stop or restart")
    String action;

    @Option(names = "--interval", description = "validation sweep interval in minutes")
    Double interval;

    @Override
    public Integer call() {
        ApiClient client = daemon();
        ApiClient.Answer answer;
        if (action.equals("status")) {
            answer = client.get("/api/v1/scheduler");
        } else if (action.equals("start") || action.equals("stop") || action.equals("restart")) {
            Map<String, Object> body = new HashMap<>();
            body.put("action", action);
            if (interval != null) {
                body.put("intervalMinutes", interval);
            }
            answer = client.post("/api/v1/scheduler", body);
        } else {
            err().println("tokenkeeper: unknown action '" + action + "': use status, start, stop or restart");
            return 2;
        }
        answer.orFail("");
        var state = answer.body();
        out().printf("scheduler %s (auto refresh at start: %s), validation every %s min%n",
                state.path("isActive").asBoolean() ? "active" : "stopped", state.path("autoRefreshEnabled").asBoolean(),
                state.path("intervalMinutes").asText());
        return 0;
    }
}
