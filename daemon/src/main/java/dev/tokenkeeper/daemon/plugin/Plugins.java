package dev.tokenkeeper.daemon.plugin;

import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.TokenStore;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Every provider and store found, by id, and the plugin jars that had to be skipped.
 *
 * @param providers provider id to provider
 * @param stores    store id to store (not yet opened)
 * @param problems  skipped jars
 */
public record Plugins(Map<String, Discovered<TokenProvider>> providers,
                      Map<String, Discovered<TokenStore>> stores,
                      List<PluginProblem> problems) {

    /** Copies into sorted, unmodifiable maps. */
    public Plugins {
        providers = Collections.unmodifiableMap(new TreeMap<>(providers));
        stores = Collections.unmodifiableMap(new TreeMap<>(stores));
        problems = List.copyOf(problems);
    }

    /**
     * @param id a provider id
     * @return the provider, if found
     */
    public Optional<TokenProvider> provider(String id) {
        return Optional.ofNullable(providers.get(id)).map(Discovered::plugin);
    }

    /**
     * @param moreProviders providers given as objects (an in-process harness or benchmark); they replace found ones of the same id
     * @param moreStores    stores given as objects; they replace found ones of the same id
     * @return these plugins and those
     */
    public Plugins with(List<TokenProvider> moreProviders, List<TokenStore> moreStores) {
        Map<String, Discovered<TokenProvider>> allProviders = new HashMap<>(providers);
        moreProviders.forEach(provider -> allProviders.put(provider.id(),
                new Discovered<>(provider, PluginOrigin.of(provider.getClass(), true))));
        Map<String, Discovered<TokenStore>> allStores = new HashMap<>(stores);
        moreStores.forEach(store -> allStores.put(store.id(), new Discovered<>(store, PluginOrigin.of(store.getClass(), true))));
        return new Plugins(allProviders, allStores, problems);
    }
}
