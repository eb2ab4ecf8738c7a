package dev.tokenkeeper.daemon.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.daemon.http.Json;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** {@code --json}: the daemon's answer as JSON instead of a table or a sentence, for scripts. */
final class JsonOption {

    @Option(names = "--json", description = "print JSON")
    boolean json;

    /** @return whether the command prints JSON */
    boolean on() {
        return json;
    }

    /**
     * @param value an answer of the API
     * @param out   where the command prints
     * @return true when {@code --json} is on and the value was printed as JSON (the command is done)
     * @throws JsonProcessingException never for a tree read from JSON
     */
    boolean printed(JsonNode value, PrintWriter out) throws JsonProcessingException {
        if (json) {
            out.println(Json.MAPPER.writeValueAsString(value));
        }
        return json;
    }
}
