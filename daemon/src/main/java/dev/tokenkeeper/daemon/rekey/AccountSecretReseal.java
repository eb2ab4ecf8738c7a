package dev.tokenkeeper.daemon.rekey;

import dev.tokenkeeper.api.AccountSecret;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.AccountSecrets;
import dev.tokenkeeper.daemon.crypto.AccountSecretSeal;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.daemon.crypto.UnsealException;
import org.tinylog.Logger;


/**
 * The rekey's step for the secrets kept beside credentials: a valid row sealed or tagged with a
 * retired key is sealed and tagged again with the current key, so that it still opens once the
 * retired key is destroyed (and the purge finds no ciphertext of that key left). A row without a
 * valid tag is left as it is: a rekey never blesses a row.
 */
public final class AccountSecretReseal {

    private AccountSecretReseal() {
    }

    /**
     * @param store  the store (one that keeps no account secrets has nothing to re-seal)
     * @param sealer the daemon's live sealer, whose keyring holds the current and the retired keys
     * @return how many rows were sealed again
     * @throws dev.tokenkeeper.api.StoreException when the store fails (the rekey then keeps the old key)
     */
    public static int toCurrentKey(TokenStore store, SecretSealer sealer) {
        AccountSecretSeal seal = new AccountSecretSeal(sealer);
        int resealed = store.capability(AccountSecrets.class).map(rows -> (int) rows.accountSecrets().stream()
                .filter(row -> resealed(rows, seal, row)).count()).orElse(0);
        if (resealed > 0) {
            Logger.info("{} account secret(s) sealed again with key {}", resealed, sealer.keyring().current().id());
        }
        return resealed;
    }

    /** @return whether the row was on a retired key and is now stored on the current one */
    private static boolean resealed(AccountSecrets rows, AccountSecretSeal seal, AccountSecret row) {
        try {
            return seal.check(row).valid() && !seal.current(row) && rows.putAccountSecret(seal.reseal(row));
        } catch (UnsealException e) {
            Logger.warn("the {} secret of {} was not sealed again: {}", row.kind(), row.credential(), e.getMessage());
            return false;
        }
    }
}
