package dev.tokenkeeper.daemon.plugin;

/**
 * A jar of the plugins folder that was skipped, and why.
 *
 * @param jar    the jar file name
 * @param reason one line
 */
public record PluginProblem(String jar, String reason) {
}
