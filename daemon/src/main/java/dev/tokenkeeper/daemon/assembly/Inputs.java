package dev.tokenkeeper.daemon.assembly;

import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.TokenStore;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What an assembly is given besides its configuration: the time, and plugins as objects (for an
 * in-process harness or a benchmark), in place of or beside those the plugin folder and the
 * module path hold.
 *
 * @param clock       the time every part reads
 * @param providers   providers given as objects; they replace found ones of the same id
 * @param stores      stores given as objects; they replace found ones of the same id
 * @param findPlugins whether to look for providers and stores on the module path and in the plugins folder
 * @param ticksByHand whether the scheduler waits for {@link Assembly#tick()} instead of ticking on its own
 */
public record Inputs(Clock clock, List<TokenProvider> providers, List<TokenStore> stores, boolean findPlugins,
                     boolean ticksByHand) {

    /** Copies the lists. */
    public Inputs {
        Objects.requireNonNull(clock, "clock");
        providers = List.copyOf(providers);
        stores = List.copyOf(stores);
    }

    /**
     * Inputs whose scheduler ticks on its own.
     *
     * @param clock       the time every part reads
     * @param providers   providers given as objects
     * @param stores      stores given as objects
     * @param findPlugins whether to look for providers and stores
     */
    public Inputs(Clock clock, List<TokenProvider> providers, List<TokenStore> stores, boolean findPlugins) {
        this(clock, providers, stores, findPlugins, false);
    }

    /** @return what the daemon runs with: the system clock and the plugins it finds */
    public static Inputs found() {
        return new Inputs(Clock.systemUTC(), List.of(), List.of(), true);
    }

    /** @return the system clock and no plugin but those given with {@link #provider} and {@link #store} */
    public static Inputs given() {
        return new Inputs(Clock.systemUTC(), List.of(), List.of(), false);
    }

    /**
     * @param time the time
     * @return these inputs with that clock
     */
    public Inputs clock(Clock time) {
        return new Inputs(time, providers, stores, findPlugins, ticksByHand);
    }

    /**
     * @return these inputs with a scheduler that runs only when {@link Assembly#tick()} is called:
     *         with a clock the caller moves, what is due runs when the caller says, not on a timer
     */
    public Inputs tickByHand() {
        return new Inputs(clock, providers, stores, findPlugins, true);
    }

    /**
     * @param provider one more provider
     * @return these inputs and that provider
     */
    public Inputs provider(TokenProvider provider) {
        List<TokenProvider> more = new ArrayList<>(providers);
        more.add(provider);
        return new Inputs(clock, more, stores, findPlugins, ticksByHand);
    }

    /**
     * @param store one more store (select it with {@code TOKENKEEPER_STORE=<its id>})
     * @return these inputs and that store
     */
    public Inputs store(TokenStore store) {
        List<TokenStore> more = new ArrayList<>(stores);
        more.add(store);
        return new Inputs(clock, providers, more, findPlugins, ticksByHand);
    }
}
