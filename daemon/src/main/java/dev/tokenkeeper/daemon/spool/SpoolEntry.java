package dev.tokenkeeper.daemon.spool;

import dev.tokenkeeper.api.StoredCredential;

/**
 * A committed change the store has not accepted yet.
 *
 * @param updated         the newest state of the credential (sealed secret only)
 * @param expectedVersion the store's version it replaces
 */
record SpoolEntry(StoredCredential updated, long expectedVersion) {
}
