package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.TokenStore;

import java.util.ServiceLoader;

/** The embedded SQLite store as the daemon finds it, for the unit tests that run on a real store. */
public final class EmbeddedStore {

    private EmbeddedStore() {
    }

    /** @return a new, unopened SQLite store found through {@link ServiceLoader} like the daemon's */
    public static TokenStore found() {
        return ServiceLoader.load(TokenStore.class).stream().map(ServiceLoader.Provider::get)
                .filter(store -> store.id().equals("sqlite")).findFirst()
                .orElseThrow(() -> new IllegalStateException("store-sqlite is not on the test class path"));
    }
}
