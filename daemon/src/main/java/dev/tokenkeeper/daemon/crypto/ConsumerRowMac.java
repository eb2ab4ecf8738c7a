package dev.tokenkeeper.daemon.crypto;

import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * Authenticates the rows of the consumers table with a key the store never holds, so that whoever
 * can write the store (a Supabase service-role key, PostgreSQL rights, the SQLite file) still cannot
 * mint a consumer token: a row's tag is an HMAC-SHA256 under a key derived from the master key
 * (HKDF-SHA256, info {@value #LABEL}; never the master key itself, which only seals secrets) over
 * the row's name, token hash, sorted credential ids and created-at.
 *
 * <p>The tag is {@code <key id>:<64 hex>}: the key id names the master key it was made with, so
 * that after a rekey rows are still verified with a retired key while it is kept
 * ({@code --keep-old}) and are re-tagged with the new one before the old key is destroyed.
 *
 * <p>The tagged bytes are unambiguous: a fixed label, then each text as its length (4 bytes) and
 * UTF-8 bytes, the credential count (4 bytes) before the ids in code-point order, and the
 * created-at in epoch milliseconds (8 bytes), the precision every store keeps.
 */
public final class ConsumerRowMac {

    /** The HKDF info of the derived key and the first bytes under every tag. */
    public static final String LABEL = "tokenkeeper consumer rows v1";

    private static final Pattern TAG = Pattern.compile("([0-9a-f]{8}):([0-9a-f]{64})");

    /** How a row's tag stands against the daemon's keys. */
    public enum Verdict {
        /** Made with the current key. */
        CURRENT_KEY,
        /** Made with a retired key still kept: valid, to be re-tagged with the current one. */
        RETIRED_KEY,
        /** No tag: a row from before tags existed, or written by hand. */
        MISSING,
        /** A tag that does not verify with any key the daemon holds. */
        INVALID;

        /** @return whether the row may authenticate a consumer */
        public boolean valid() {
            return this == CURRENT_KEY || this == RETIRED_KEY;
        }
    }

    private final Supplier<Keyring> keyring;

    /**
     * @param keyring the daemon's live keys (a rekey switches them), read at every call
     */
    public ConsumerRowMac(Supplier<Keyring> keyring) {
        this.keyring = Objects.requireNonNull(keyring, "keyring");
    }

    /**
     * @param row a consumer row, with or without a tag
     * @return the row tagged with the current key
     */
    public Consumer sign(Consumer row) {
        return row.withMac(tag(keyring.get().current(), LABEL, encode(row)));
    }

    /**
     * @param row a consumer row as the store returned it
     * @return whether its tag is valid, and with which key
     */
    public Verdict check(Consumer row) {
        return check(keyring.get(), LABEL, row.mac(), encode(row));
    }

    /**
     * Checks a tag made by {@link #tag(MasterKey, String, byte[])}: the rule every tagged row shares.
     *
     * @param keys    the daemon's keys
     * @param label   the HKDF info of the rows' key
     * @param mac     the row's tag, if any
     * @param encoded the row's fields, encoded as when it was tagged
     * @return how the tag stands against the keys
     */
    static Verdict check(Keyring keys, String label, Optional<String> mac, byte[] encoded) {
        if (mac.isEmpty()) {
            return Verdict.MISSING;
        }
        Matcher parsed = TAG.matcher(mac.get());
        if (!parsed.matches()) {
            return Verdict.INVALID;
        }
        Optional<MasterKey> key = keys.byId(parsed.group(1));
        if (key.isEmpty()) {
            return Verdict.INVALID;
        }
        byte[] expected = HexFormat.of().parseHex(tag(key.get(), label, encoded).substring(parsed.group(1).length() + 1));
        byte[] presented = HexFormat.of().parseHex(parsed.group(2));
        if (!MessageDigest.isEqual(expected, presented)) {
            return Verdict.INVALID;
        }
        return key.get().id().equals(keys.current().id()) ? Verdict.CURRENT_KEY : Verdict.RETIRED_KEY;
    }

    /**
     * @param key     the key to tag with
     * @param label   the HKDF info of the rows' key (one per kind of row)
     * @param encoded the row's fields, unambiguously encoded
     * @return {@code <key id>:<64 hex>}
     */
    static String tag(MasterKey key, String label, byte[] encoded) {
        byte[] derived = derive(key, label);
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(derived, "HmacSHA256"));
            return key.id() + ":" + HexFormat.of().formatHex(mac.doFinal(encoded));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no HmacSHA256", e);
        } finally {
            Arrays.fill(derived, (byte) 0);
        }
    }

    private static byte[] derive(MasterKey key, String label) {
        byte[] master = key.bytes();
        try {
            HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
            hkdf.init(new HKDFParameters(master, null, label.getBytes(StandardCharsets.US_ASCII)));
            byte[] derived = new byte[32];
            hkdf.generateBytes(derived, 0, derived.length);
            return derived;
        } finally {
            Arrays.fill(master, (byte) 0);
        }
    }

    /** The row's fields in the unambiguous encoding described above; package-private for tests. */
    static byte[] encode(Consumer row) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            text(out, LABEL);
            text(out, row.name());
            text(out, row.tokenHash());
            List<String> ids = row.credentials().stream().map(CredentialId::toString).sorted().toList();
            out.writeInt(ids.size());
            for (String id : ids) {
                text(out, id);
            }
            out.writeLong(row.createdAt().toEpochMilli());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Writes a text as its length (4 bytes) and UTF-8 bytes.
     *
     * @param out  where
     * @param text what
     * @throws IOException when {@code out} fails
     */
    static void text(DataOutputStream out, String text) throws IOException {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }
}
