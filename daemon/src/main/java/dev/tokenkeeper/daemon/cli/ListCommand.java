package dev.tokenkeeper.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** A {@code list} subcommand: one GET of the API, printed as JSON with {@code --json}, else as lines. */
abstract class ListCommand extends Subcommand implements Callable<Integer> {

    @Mixin
    JsonOption json;

    /** @return the API path listed */
    abstract String path();

    /** @param list the API's answer, to print for a human */
    abstract void print(JsonNode list);

    @Override
    public Integer call() throws Exception {
        JsonNode list = daemon().get(path()).orFail(spec.parent().name() + " list failed").body();
        if (!json.printed(list, out())) {
            print(list);
        }
        return 0;
    }
}
