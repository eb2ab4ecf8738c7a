package dev.tokenkeeper.api.store;

import java.util.Optional;

/**
 * Something a {@link dev.tokenkeeper.api.TokenStore} may offer beyond its core (credentials and
 * their history): a store hands one out through
 * {@link dev.tokenkeeper.api.TokenStore#capability(Class)}, or says it has none, and the daemon
 * then does without it in a way it names (see each capability). There is no default that pretends:
 * a store that cannot do something does not offer it.
 *
 * <p>The family is closed, so the daemon (and its tests) know every capability there is; a new
 * capability is a new SDK version.
 */
public sealed interface StoreCapability permits Leases, ChangeFeed, Consumers, SettingsRows, Purge, SetupScript,
        AccountSecrets, DueWork, Tally {

    /**
     * The usual answer of a store that implements its capabilities itself.
     *
     * @param type  the capability asked for
     * @param store the store (or any object implementing some capabilities)
     * @param <C>   the capability
     * @return {@code store} as a {@code C}, when it implements {@code C}; empty otherwise
     */
    static <C extends StoreCapability> Optional<C> offeredBy(Class<C> type, Object store) {
        return type.isInstance(store) ? Optional.of(type.cast(store)) : Optional.empty();
    }
}
