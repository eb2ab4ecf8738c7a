package dev.tokenkeeper.api.store;

import dev.tokenkeeper.api.Consumer;

import java.util.List;
import java.util.Optional;

/**
 * Keeps consumers: programs with a token of their own, scoped to some credentials. A store with a
 * {@link ChangeFeed} announces every change of them ({@link dev.tokenkeeper.api.StoreChange.Consumers}).
 *
 * <p>Without it the daemon has no consumers: {@code tokenkeeper consumer add} fails naming the
 * store, and only the admin token reads tokens.
 */
public non-sealed interface Consumers extends StoreCapability {

    /**
     * Adds a consumer.
     *
     * @param consumer the consumer, holding only its token's hash, and its authentication tag (kept as given)
     * @return false when a consumer of that name exists already (nothing is written)
     */
    boolean insertConsumer(Consumer consumer);

    /**
     * @param tokenHash the lowercase hex SHA-256 of a presented token
     * @return the consumer with that hash, if any
     */
    Optional<Consumer> consumerByTokenHash(String tokenHash);

    /** @return every consumer, in name order */
    List<Consumer> consumers();

    /**
     * Replaces the authentication tag of one consumer row ({@link Consumer#mac}): the daemon tags
     * rows written before tags existed once, and re-tags them with a new key after a rekey. Nothing
     * else of the row changes.
     *
     * @param name      the consumer's name
     * @param tokenHash the token hash the row must still have (else nothing is written)
     * @param mac       the new tag
     * @return false when no row has that name and token hash
     */
    boolean setConsumerMac(String name, String tokenHash, String mac);

    /**
     * Removes a consumer, so that its token stops working.
     *
     * @param name the consumer's name
     * @return false when there was none
     */
    boolean deleteConsumer(String name);
}
