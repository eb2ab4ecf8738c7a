package dev.tokenkeeper.daemon.cli;

import picocli.CommandLine.Option;

/** {@code --json}: the daemon's answer as JSON instead of a table or a sentence, for scripts. */
final class JsonOption {

    @Option(names = "--json", description = "print JSON")
    boolean json;

    /** @return whether the command prints JSON */
    boolean on() {
        return json;
    }
}
