package dev.tokenkeeper.bench.rig;

import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.daemon.plugin.Discovered;
import dev.tokenkeeper.daemon.plugin.PluginLoader;

import java.util.Map;
import java.util.Optional;

/**
 * The stores and providers on the bench's module path, found by the daemon's plugin loader as the
 * daemon finds its bundled ones; each call makes new instances.
 */
public final class Installed {

    private Installed() {
    }

    /**
     * @param id the store's id, e.g. {@code sqlite}
     * @return a new, unopened instance
     */
    public static TokenStore store(String id) {
        return find(PluginLoader.load(Optional.empty()).stores(), "store", id);
    }

    /**
     * @param id the provider's id, e.g. {@code gazelle}
     * @return a new, unconfigured instance
     */
    public static TokenProvider provider(String id) {
        return find(PluginLoader.load(Optional.empty()).providers(), "provider", id);
    }

    private static <T> T find(Map<String, Discovered<T>> found, String kind, String id) {
        Discovered<T> plugin = found.get(id);
        if (plugin == null) {
            throw new IllegalStateException("no " + kind + " '" + id + "' on the module path (bench/target/lib has "
                    + found.keySet() + "): rebuild with ./mvnw -q package -DskipTests");
        }
        return plugin.plugin();
    }
}
