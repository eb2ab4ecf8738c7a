package dev.tokenkeeper.daemon.crypto;

import dev.tokenkeeper.api.AccountSecret;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.SecretMaterial;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;

/**
 * Seals and authenticates the secrets kept beside credentials ({@link AccountSecret}): the secret
 * is sealed with the master key for its credential ({@link SecretSealer}), and the row is tagged
 * as consumer rows are ({@link ConsumerRowMac}, under a key of its own, HKDF info {@value #LABEL})
 * over the credential, the kind, the lookup hash, the sealed bytes and the created-at, so a row
 * written or moved by whoever can write the store (another kind, another credential, another
 * lookup hash) is refused before it is opened.
 */
public final class AccountSecretSeal {

    /** The HKDF info of the derived key and the first bytes under every tag. */
    public static final String LABEL = "tokenkeeper account secrets v1";

    private final SecretSealer sealer;

    /** @param sealer the daemon's live sealer (a rekey switches its keys) */
    public AccountSecretSeal(SecretSealer sealer) {
        this.sealer = Objects.requireNonNull(sealer, "sealer");
    }

    /**
     * @param credential the credential the secret belongs to
     * @param kind       what it is
     * @param lookupHash the hash the row is found by
     * @param secret     the secret
     * @param createdAt  when it is stored (kept to the millisecond, as stores keep it)
     * @return the row, sealed and tagged with the current key
     */
    public AccountSecret seal(CredentialId credential, String kind, String lookupHash, SecretMaterial secret,
                              Instant createdAt) {
        AccountSecret row = new AccountSecret(credential, kind, lookupHash, sealer.seal(credential, secret),
                createdAt.truncatedTo(ChronoUnit.MILLIS), Optional.empty());
        return row.withMac(ConsumerRowMac.tag(sealer.keyring().current(), LABEL, encode(row)));
    }

    /**
     * @param row a row as the store returned it
     * @return how its tag stands against the daemon's keys
     */
    public ConsumerRowMac.Verdict check(AccountSecret row) {
        return ConsumerRowMac.check(sealer.keyring(), LABEL, row.mac(), encode(row));
    }

    /**
     * @param row a row as the store returned it
     * @return its secret
     * @throws UnsealException when its tag is missing or does not verify (the row grants nothing), or
     *                         the secret does not open; the message names the row, never a value
     */
    public SecretMaterial open(AccountSecret row) throws UnsealException {
        if (!check(row).valid()) {
            throw new UnsealException(UnsealException.Reason.TAMPERED_OR_WRONG_KEY, null, "the " + row.kind()
                    + " secret of " + row.credential() + " is not authenticated by this daemon's keys (written to the"
                    + " store without the master key): it is ignored; store it again with tokenkeeper");
        }
        return sealer.open(row.credential(), row.sealed());
    }

    /**
     * @param row a valid row, possibly sealed or tagged with a retired key
     * @return the same secret sealed and tagged with the current key, its other fields unchanged
     * @throws UnsealException when the row is not valid or does not open
     */
    public AccountSecret reseal(AccountSecret row) throws UnsealException {
        return seal(row.credential(), row.kind(), row.lookupHash(), open(row), row.createdAt());
    }

    /**
     * @param row a valid row
     * @return whether its secret and its tag are made with the current key (a rekey can skip it)
     * @throws UnsealException when the sealed header is not valid
     */
    public boolean current(AccountSecret row) throws UnsealException {
        return check(row) == ConsumerRowMac.Verdict.CURRENT_KEY && sealer.isSealedWithCurrentKey(row.sealed());
    }

    private static byte[] encode(AccountSecret row) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            ConsumerRowMac.text(out, LABEL);
            ConsumerRowMac.text(out, row.credential().toString());
            ConsumerRowMac.text(out, row.kind());
            ConsumerRowMac.text(out, row.lookupHash());
            byte[] sealed = row.sealed().bytes();
            out.writeInt(sealed.length);
            out.write(sealed);
            out.writeLong(row.createdAt().toEpochMilli());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
