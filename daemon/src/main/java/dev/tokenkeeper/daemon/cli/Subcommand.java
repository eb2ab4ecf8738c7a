package dev.tokenkeeper.daemon.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/** What every subcommand shares: the common flags, its picocli spec, and the way to the daemon. */
abstract class Subcommand {

    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    /** @return a client of the running daemon's control API */
    ApiClient daemon() {
        return new ApiClient(common.config());
    }

    /** @return where results go */
    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** @return where warnings go */
    PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
