package dev.tokenkeeper.daemon.crypto;

import java.util.Objects;

/**
 * The keyring the daemon runs with and where its current key came from.
 *
 * @param keyring   the current key and the retired ones still readable
 * @param source    where the current key came from, for logs and {@code doctor}, for example
 *                  {@code file /etc/tokenkeeper/master.key (TOKENKEEPER_MASTER_KEY_FILE)}; never
 *                  a secret
 * @param generated whether this load generated a new key (first run)
 */
public record LoadedKey(Keyring keyring, String source, boolean generated) {

    /** Checks for nulls. */
    public LoadedKey {
        Objects.requireNonNull(keyring, "keyring");
        Objects.requireNonNull(source, "source");
    }
}
