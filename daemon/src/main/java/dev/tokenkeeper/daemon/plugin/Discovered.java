package dev.tokenkeeper.daemon.plugin;

/**
 * A provider or store instance and where it came from.
 *
 * @param plugin the instance
 * @param origin its module and jar
 * @param <T>    TokenProvider or TokenStore
 */
public record Discovered<T>(T plugin, PluginOrigin origin) {
}
