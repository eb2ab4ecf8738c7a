package dev.tokenkeeper.bench.rig;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.daemon.config.DaemonPluginContext;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.crypto.SecretSealer;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;

/** Gazelle credentials made for a benchmark: sealed the way the daemon seals them, stored directly. */
public final class Credentials {

    private Credentials() {
    }

    /**
     * @param index the credential's number
     * @return {@code gazelle:bench<index>}
     */
    public static CredentialId id(int index) {
        return new CredentialId("gazelle", "bench" + index);
    }

    /**
     * @param index the credential's number
     * @return its refresh token's key as the imitation upstream sees it
     */
    public static String refreshKey(int index) {
        return "rt" + index;
    }

    /**
     * @param index  the credential's number
     * @param sealer the daemon's sealer
     * @param issued when its token was issued
     * @param expiry when its access token expires
     * @return the row, version 1, active
     */
    public static StoredCredential gazelle(int index, SecretSealer sealer, Instant issued, Instant expiry) {
        CredentialId id = id(index);
        SecretMaterial secret = new SecretMaterial(Map.of("access_token", "at" + index, "refresh_token", refreshKey(index),
                "token_type", "Bearer"));
        return new StoredCredential(id, CredentialStatus.ACTIVE, sealer.seal(id, secret), issued, Optional.of(expiry),
                Optional.empty(), 1, Optional.of(issued), Optional.empty(), issued);
    }

    /**
     * Inserts {@code count} credentials.
     *
     * @param store  where
     * @param count  how many
     * @param make   the row of each index
     * @return the ids, in index order
     */
    public static List<CredentialId> insert(TokenStore store, int count, IntFunction<StoredCredential> make) {
        List<CredentialId> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            StoredCredential credential = make.apply(i);
            if (!store.insert(credential)) {
                throw new IllegalStateException("credential " + credential.id() + " already exists in the benchmark store");
            }
            ids.add(credential.id());
        }
        return ids;
    }

    /**
     * Inserts {@code count} credentials into the SQLite file of a state folder and closes it. Filled
     * at synchronous=NORMAL (no flush per row) to keep set-up short; whoever measures reopens the
     * file as configured.
     *
     * @param state the state folder
     * @param count how many
     * @param make  the row of each index
     * @return the ids, in index order
     */
    public static List<CredentialId> prefillSqlite(Path state, int count, IntFunction<StoredCredential> make) {
        TokenStore store = Installed.store("sqlite");
        store.open(new DaemonPluginContext(Settings.of(Map.of("TOKENKEEPER_STATE_DIR", state.toString(),
                "TOKENKEEPER_SQLITE_SYNCHRONOUS", "NORMAL"), Map.of()), state, Clock.systemUTC()));
        try {
            return insert(store, count, make);
        } finally {
            store.close();
        }
    }
}
