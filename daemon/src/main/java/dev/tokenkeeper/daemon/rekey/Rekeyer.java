package dev.tokenkeeper.daemon.rekey;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import dev.tokenkeeper.daemon.crypto.UnsealException;
import dev.tokenkeeper.daemon.leases.RefreshLeases;
import org.tinylog.Logger;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Re-seals every stored secret that is not sealed with the sealer's current key. Each credential is
 * re-sealed under its refresh lease (so a refresh never races it) and written with a version
 * compare-and-set ({@code version + 1}); the secret itself is unchanged. Credentials already on the
 * current key are skipped, so running it again after an interruption finishes the remainder.
 */
public final class Rekeyer {

    /** How long one credential's lease is taken for; re-sealing takes milliseconds. */
    static final Duration LEASE = Duration.ofSeconds(30);
    /** How long to wait for a refresh that holds a credential's lease. */
    static final Duration BUSY_WAIT = Duration.ofSeconds(15);
    private static final int WRITE_ATTEMPTS = 5;
    /** Rows read per store read. */
    private static final int PAGE = 500;

    /**
     * Test-only: when the system property {@code tokenkeeper.test.rekeyHaltAfter} (or the
     * environment variable {@code TOKENKEEPER_TEST_REKEY_HALT_AFTER}) is a number N, the process
     * halts as abruptly as {@code kill -9} right after the N-th re-sealed credential is committed.
     */
    private static final int HALT_AFTER = haltAfter();

    private final TokenStore store;
    private final RefreshLeases leases;
    private final SecretSealer sealer;
    private final Clock clock;
    private final String owner;

    /**
     * What one run did.
     *
     * @param currentKeyId   the key every re-sealed secret now carries
     * @param resealed       credentials re-sealed by this run
     * @param alreadyCurrent credentials that already were on the current key
     * @param failed         credentials left as they were, with the reason (no secret in it)
     */
    public record Result(String currentKeyId, List<String> resealed, List<String> alreadyCurrent, List<Failure> failed) {

        /** Copies the lists. */
        public Result {
            resealed = List.copyOf(resealed);
            alreadyCurrent = List.copyOf(alreadyCurrent);
            failed = List.copyOf(failed);
        }

        /** @return whether every credential is now sealed with the current key */
        public boolean complete() {
            return failed.isEmpty();
        }
    }

    /**
     * A credential that could not be re-sealed.
     *
     * @param id     the credential
     * @param reason one line: what went wrong and what to do
     */
    public record Failure(String id, String reason) {
    }

    /**
     * @param store  where the credentials live
     * @param sealer a sealer whose keyring has the new key as current and the old ones as retired
     * @param clock  the time (for leases and {@code updatedAt})
     */
    public Rekeyer(TokenStore store, SecretSealer sealer, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.leases = new RefreshLeases(store);
        this.sealer = Objects.requireNonNull(sealer, "sealer");
        this.clock = Objects.requireNonNull(clock, "clock");
        byte[] nonce = new byte[4];
        new SecureRandom().nextBytes(nonce);
        this.owner = "rekey/" + ProcessHandle.current().pid() + "/" + HexFormat.of().formatHex(nonce);
    }

    /**
     * Re-seals every credential not yet sealed with the current key.
     *
     * @return what was done; failures do not stop the run
     */
    public Result resealAll() {
        String keyId = sealer.keyring().current().id();
        List<String> resealed = new ArrayList<>();
        List<String> current = new ArrayList<>();
        List<Failure> failed = new ArrayList<>();
        // A page of rows at a time (issue 26: memory must not grow with the store); a re-seal changes a
        // row's version, never its id, so the walk by id neither skips nor repeats one.
        Optional<CredentialId> after = Optional.empty();
        List<StoredCredential> page;
        do {
            page = store.listPage(after, PAGE);
            for (StoredCredential listed : page) {
                CredentialId id = listed.id();
                try {
                    if (sealer.isSealedWithCurrentKey(listed.secret())) {
                        current.add(id.toString());
                        continue;
                    }
                } catch (UnsealException e) {
                    failed.add(new Failure(id.toString(), e.getMessage()));
                    continue;
                }
                Outcome outcome = reseal(id);
                switch (outcome.kind()) {
                    case RESEALED -> {
                        resealed.add(id.toString());
                        if (HALT_AFTER > 0 && resealed.size() >= HALT_AFTER) {
                            Runtime.getRuntime().halt(137);
                        }
                    }
                    case ALREADY_CURRENT, GONE -> current.add(id.toString());
                    case FAILED -> failed.add(new Failure(id.toString(), outcome.reason()));
                }
            }
            after = page.isEmpty() ? after : Optional.of(page.get(page.size() - 1).id());
        } while (page.size() == PAGE);
        if (current.size() + resealed.size() > 0 || !failed.isEmpty()) {
            Logger.info("rekey to key {}: {} re-sealed, {} already on it, {} failed", keyId, resealed.size(),
                    current.size(), failed.size());
        }
        return new Result(keyId, resealed, current, failed);
    }

    private enum Kind { RESEALED, ALREADY_CURRENT, GONE, FAILED }

    private record Outcome(Kind kind, String reason) {
        static Outcome of(Kind kind) {
            return new Outcome(kind, "");
        }
    }

    private Outcome reseal(CredentialId id) {
        if (!lease(id)) {
            return new Outcome(Kind.FAILED, "a refresh of " + id + " held its lease for more than "
                    + BUSY_WAIT.toSeconds() + " s: run rekey again");
        }
        try {
            for (int attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
                Optional<StoredCredential> read = store.get(id);
                if (read.isEmpty()) {
                    return Outcome.of(Kind.GONE);
                }
                StoredCredential before = read.get();
                SealedSecret resealedBytes;
                try {
                    if (sealer.isSealedWithCurrentKey(before.secret())) {
                        return Outcome.of(Kind.ALREADY_CURRENT);
                    }
                    SecretMaterial secret = sealer.open(id, before.secret());
                    resealedBytes = sealer.seal(id, secret);
                } catch (UnsealException e) {
                    return new Outcome(Kind.FAILED, e.getMessage());
                }
                StoredCredential after = new StoredCredential(id, before.status(), resealedBytes, before.issuedAt(),
                        before.accessExpiresAt(), before.refreshExpiresAt(), before.version() + 1,
                        before.lastRefreshAt(), before.lastError(), clock.instant());
                if (store.compareAndSet(after, before.version())) {
                    Logger.info("re-sealed {} with key {} (version {})", id, sealer.keyring().current().id(),
                            after.version());
                    return Outcome.of(Kind.RESEALED);
                }
                // An import changed it meanwhile (imports take no lease): read again.
            }
            return new Outcome(Kind.FAILED, id + " kept changing while it was re-sealed: run rekey again");
        } finally {
            try {
                leases.release(id, owner);
            } catch (RuntimeException e) {
                Logger.warn("could not release the lease of {} after re-sealing ({}); it runs out by itself", id,
                        e.getMessage());
            }
        }
    }

    /** Takes the refresh lease, waiting a while for a refresh that holds it. */
    private boolean lease(CredentialId id) {
        Instant deadline = clock.instant().plus(BUSY_WAIT);
        while (true) {
            if (leases.tryLease(id, owner, clock.instant().plus(LEASE))) {
                return true;
            }
            if (!clock.instant().isBefore(deadline)) {
                return false;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private static int haltAfter() {
        String value = System.getProperty("tokenkeeper.test.rekeyHaltAfter",
                System.getenv().getOrDefault("TOKENKEEPER_TEST_REKEY_HALT_AFTER", ""));
        try {
            return value.isBlank() ? 0 : Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
