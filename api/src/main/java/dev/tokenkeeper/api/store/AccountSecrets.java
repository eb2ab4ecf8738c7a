package dev.tokenkeeper.api.store;

import dev.tokenkeeper.api.AccountSecret;
import dev.tokenkeeper.api.CredentialId;

import java.util.List;
import java.util.Optional;

/**
 * Keeps the secrets the daemon holds beside credentials ({@link AccountSecret}): one row per
 * credential and kind, found by the pair or by its kind and lookup hash. The store keeps the sealed
 * bytes and the authentication tag as given and interprets neither. Deleting a credential leaves its
 * rows; the daemon deletes them itself.
 *
 * <p>Without it the daemon keeps no such secrets: the commands that store one (for example
 * {@code tokenkeeper cookiecloud link}) fail naming the store, and {@code doctor} says so.
 */
public non-sealed interface AccountSecrets extends StoreCapability {

    /**
     * Stores a row, replacing the row of the same credential and kind if there is one.
     *
     * @param secret the row, sealed and tagged by the daemon
     * @return false when another credential's row of the same kind has the same lookup hash (nothing
     *         is written)
     */
    boolean putAccountSecret(AccountSecret secret);

    /**
     * @param credential the credential
     * @param kind       the kind
     * @return its row of that kind, if any
     */
    Optional<AccountSecret> accountSecret(CredentialId credential, String kind);

    /**
     * @param kind       the kind
     * @param lookupHash the lowercase hex SHA-256 the row was stored with
     * @return the row of that kind with that hash, if any
     */
    Optional<AccountSecret> accountSecretByLookupHash(String kind, String lookupHash);

    /** @return every row, by credential id and then kind */
    List<AccountSecret> accountSecrets();

    /**
     * Removes a row.
     *
     * @param credential the credential
     * @param kind       the kind
     * @return false when there was none
     */
    boolean deleteAccountSecret(CredentialId credential, String kind);
}
