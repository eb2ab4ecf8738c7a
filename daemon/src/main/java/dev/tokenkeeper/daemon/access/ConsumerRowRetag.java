package dev.tokenkeeper.daemon.access;

import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.store.Consumers;
import dev.tokenkeeper.daemon.crypto.ConsumerRowMac;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import org.tinylog.Logger;

import java.util.Optional;

/**
 * The rekey's step for consumer rows: a row tagged with a retired key (valid while that key is
 * kept, {@code rekey --keep-old}) is tagged again with the current key, so that it still works
 * once the retired key is destroyed. Rows without a valid tag are left as they are: a rekey never
 * blesses a row.
 */
public final class ConsumerRowRetag {

    private ConsumerRowRetag() {
    }

    /**
     * @param store  the store (one that keeps no consumers has nothing to tag)
     * @param sealer the daemon's live sealer, whose keyring holds the current and the retired keys
     * @return how many rows were tagged again
     * @throws dev.tokenkeeper.api.StoreException when the store fails (the rekey then keeps the old key)
     */
    public static int toCurrentKey(TokenStore store, SecretSealer sealer) {
        Optional<Consumers> rows = store.capability(Consumers.class);
        if (rows.isEmpty()) {
            return 0;
        }
        ConsumerRowMac macs = new ConsumerRowMac(sealer::keyring);
        int retagged = 0;
        for (Consumer row : rows.get().consumers()) {
            if (macs.check(row) == ConsumerRowMac.Verdict.RETIRED_KEY
                    && rows.get().setConsumerMac(row.name(), row.tokenHash(), macs.sign(row).mac().orElseThrow())) {
                retagged++;
            }
        }
        if (retagged > 0) {
            Logger.info("{} consumer row(s) tagged again with key {}", retagged, sealer.keyring().current().id());
        }
        return retagged;
    }
}
