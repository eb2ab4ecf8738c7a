/**
 * What a {@link dev.tokenkeeper.api.TokenStore} may offer beyond credentials and history, one small
 * interface each ({@link dev.tokenkeeper.api.store.StoreCapability}): refresh leases, a change
 * feed, consumers, legacy settings rows, purging overwritten rows, a setup script, the secrets kept
 * beside credentials, the due queue, counts
 * of the credentials by status. A store offers a
 * capability through {@link dev.tokenkeeper.api.TokenStore#capability(Class)}; the daemon does
 * without one it is not offered, as each capability's javadoc says.
 */
package dev.tokenkeeper.api.store;
