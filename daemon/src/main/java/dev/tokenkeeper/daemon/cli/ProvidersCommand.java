package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.daemon.log.Logging;
import dev.tokenkeeper.daemon.plugin.PluginLoader;
import dev.tokenkeeper.daemon.plugin.PluginOrigin;
import dev.tokenkeeper.daemon.plugin.Plugins;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code tokenkeeper providers}: what providers and stores this installation has (no daemon needed). */
@Command(name = "providers", description = "List the installed providers and stores, bundled and from the plugins folder.")
final class ProvidersCommand extends Subcommand implements Callable<Integer> {

    @Override
    public Integer call() {
        var config = common.config();
        Logging.configure(config.settings().asMap());
        Plugins plugins = PluginLoader.load(config.pluginDirectory());
        PrintWriter out = out();
        String format = "%-9s %-10s %-34s %-40s %s%n";
        out.printf(format, "KIND", "ID", "MODULE", "DESCRIPTION", "SOURCE");
        plugins.providers().forEach((id, found) -> out.printf(format, "provider", id, module(found.origin()),
                found.plugin().description(), source(found.origin())));
        plugins.stores().forEach((id, found) -> out.printf(format, "store", id, module(found.origin()),
                found.plugin().description(), source(found.origin())));
        plugins.problems().forEach(problem -> out.printf("skipped   %s: %s%n", problem.jar(), problem.reason()));
        return 0;
    }

    private static String module(PluginOrigin origin) {
        return origin.module() + origin.version().map(v -> "@" + v).orElse("");
    }

    private static String source(PluginOrigin origin) {
        String jar = origin.jar().map(j -> j.substring(j.lastIndexOf('/') + 1)).orElse("?");
        return (origin.bundled() ? "bundled " : "plugin ") + jar;
    }
}
