package dev.tokenkeeper.daemon.crypto;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.daemon.crypto.UnsealException.Reason;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.modes.gcm.BasicGCMMultiplier;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Seals {@link SecretMaterial} with AES-256-GCM for storage, and opens it again. Thread-safe: every
 * call uses its own cipher; the keyring is replaced whole by {@link #useKeyring} (rekey).
 *
 * <p>Sealed layout (format version 1):
 * <pre>
 *   'T' 'K'            magic, 2 bytes
 *   0x01               format version, 1 byte
 *   n                  key id length, 1 byte (8 in version 1)
 *   key id             n ASCII bytes, lower-case hex
 *   nonce              12 random bytes, fresh for every seal
 *   ciphertext || tag  GCM output, 128-bit tag
 * </pre>
 * The associated data is the header (magic through key id) followed by the UTF-8 of the
 * credential id, so changing the header or moving the bytes to another credential's row makes
 * {@link #open} fail. The nonce is authenticated by GCM itself. The plaintext is the compact
 * binary encoding of {@link MaterialCodec}.
 */
public final class SecretSealer {

    private static final byte[] MAGIC = {'T', 'K'};
    private static final int VERSION = 1;
    private static final int KEY_ID_LENGTH = 8;
    private static final int HEADER_LENGTH = MAGIC.length + 2 + KEY_ID_LENGTH;
    private static final int NONCE_LENGTH = 12;
    private static final int TAG_BITS = 128;
    private static final int MIN_LENGTH = HEADER_LENGTH + NONCE_LENGTH + TAG_BITS / 8;

    // Replaced as a whole by rekey; every seal and open reads it once.
    private volatile Keyring keyring;
    private final SecureRandom random;

    /**
     * @param keyring the key to seal with and the keys to open with
     */
    public SecretSealer(Keyring keyring) {
        this(keyring, new SecureRandom());
    }

    /**
     * @param keyring the key to seal with and the keys to open with
     * @param random  where nonces come from
     */
    SecretSealer(Keyring keyring, SecureRandom random) {
        this.keyring = Objects.requireNonNull(keyring, "keyring");
        this.random = Objects.requireNonNull(random, "random");
    }

    /** @return the keyring this sealer uses */
    public Keyring keyring() {
        return keyring;
    }

    /**
     * Switches to another keyring (rekey: a new current key, the old one retired but still
     * readable). Seals from now on use the new current key.
     *
     * @param next the new keyring
     */
    public void useKeyring(Keyring next) {
        this.keyring = Objects.requireNonNull(next, "keyring");
    }

    /**
     * Encrypts secret material for one credential with the current key and a fresh nonce.
     *
     * @param id     the credential the material belongs to; bound to the sealed bytes
     * @param secret the material
     * @return the sealed bytes
     */
    public SealedSecret seal(CredentialId id, SecretMaterial secret) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(secret, "secret");
        MasterKey key = keyring.current();
        byte[] header = header(key.id());
        byte[] nonce = new byte[NONCE_LENGTH];
        random.nextBytes(nonce);
        byte[] plain = MaterialCodec.encode(secret);
        try {
            GCMModeCipher cipher = cipher(true, key, nonce, header, id);
            byte[] out = new byte[HEADER_LENGTH + NONCE_LENGTH + cipher.getOutputSize(plain.length)];
            System.arraycopy(header, 0, out, 0, HEADER_LENGTH);
            System.arraycopy(nonce, 0, out, HEADER_LENGTH, NONCE_LENGTH);
            int offset = HEADER_LENGTH + NONCE_LENGTH;
            offset += cipher.processBytes(plain, 0, plain.length, out, offset);
            cipher.doFinal(out, offset);
            return SealedSecret.of(out);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("AES-GCM encryption failed unexpectedly", e);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /**
     * Decrypts secret material sealed by {@link #seal} with any key of the keyring.
     *
     * @param id     the credential the bytes are stored for; must be the one they were sealed for
     * @param sealed the sealed bytes
     * @return the material
     * @throws UnsealException when the bytes are malformed, sealed with a key this keyring lacks,
     *                         changed, or sealed for another credential; never an unchecked
     *                         exception for bad input
     */
    public SecretMaterial open(CredentialId id, SealedSecret sealed) throws UnsealException {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(sealed, "sealed");
        byte[] bytes = sealed.bytes();
        String keyId = readKeyId(bytes, id);
        MasterKey key = keyring.byId(keyId).orElseThrow(() -> new UnsealException(Reason.UNKNOWN_KEY, keyId,
                "cannot open the secret of " + id + ": it was sealed with key " + keyId
                        + " which this daemon does not have (it has " + String.join(", ", keyring.ids())
                        + "): restore the old master key file (as <state>/keys/retired-" + keyId
                        + ".key or as the configured key)"));
        byte[] nonce = Arrays.copyOfRange(bytes, HEADER_LENGTH, HEADER_LENGTH + NONCE_LENGTH);
        int offset = HEADER_LENGTH + NONCE_LENGTH;
        int length = bytes.length - offset;
        GCMModeCipher cipher = cipher(false, key, nonce, Arrays.copyOf(bytes, HEADER_LENGTH), id);
        byte[] plain = new byte[cipher.getOutputSize(length)];
        try {
            int written = cipher.processBytes(bytes, offset, length, plain, 0);
            cipher.doFinal(plain, written);
        } catch (InvalidCipherTextException e) {
            Arrays.fill(plain, (byte) 0);
            throw new UnsealException(Reason.TAMPERED_OR_WRONG_KEY, keyId,
                    "cannot open the secret of " + id + " with key " + keyId
                            + ": the sealed bytes were changed or belong to another credential;"
                            + " re-import the credential");
        }
        try {
            return MaterialCodec.decode(plain);
        } catch (IllegalArgumentException e) {
            throw new UnsealException(Reason.MALFORMED, keyId, "cannot open the secret of " + id
                    + ": the decrypted content is not valid secret material (" + e.getMessage()
                    + "); re-import the credential");
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /**
     * Reads the key id from a sealed header without decrypting, for example to find secrets that
     * a rekey must re-seal.
     *
     * @param sealed the sealed bytes
     * @return the key id they were sealed with
     * @throws UnsealException with reason {@link Reason#MALFORMED} when the header is not valid
     *                         (a checked exception, like {@link #open}, so callers handle bad rows)
     */
    public static String keyIdOf(SealedSecret sealed) throws UnsealException {
        return readKeyId(sealed.bytes(), null);
    }

    /**
     * @param sealed the sealed bytes
     * @return whether they were sealed with this keyring's current key (a rekey can skip them)
     * @throws UnsealException when the header is not valid
     */
    public boolean isSealedWithCurrentKey(SealedSecret sealed) throws UnsealException {
        return keyIdOf(sealed).equals(keyring.current().id());
    }

    private static byte[] header(String keyId) {
        byte[] header = new byte[HEADER_LENGTH];
        header[0] = MAGIC[0];
        header[1] = MAGIC[1];
        header[2] = VERSION;
        header[3] = KEY_ID_LENGTH;
        byte[] idBytes = keyId.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(idBytes, 0, header, 4, KEY_ID_LENGTH);
        return header;
    }

    private static String readKeyId(byte[] bytes, CredentialId id) throws UnsealException {
        String what = id == null ? "sealed secret" : "the secret of " + id;
        if (bytes.length < MIN_LENGTH) {
            throw malformed(what, "it is " + bytes.length + " bytes long, shorter than the minimum " + MIN_LENGTH);
        }
        if (bytes[0] != MAGIC[0] || bytes[1] != MAGIC[1]) {
            throw malformed(what, "it does not start with the tokenkeeper magic 'TK'");
        }
        if (bytes[2] != VERSION) {
            throw malformed(what, "format version " + (bytes[2] & 0xff) + " is not supported (expected "
                    + VERSION + "; a newer tokenkeeper may have written it)");
        }
        if (bytes[3] != KEY_ID_LENGTH) {
            throw malformed(what, "key id length " + (bytes[3] & 0xff) + " is invalid (expected " + KEY_ID_LENGTH + ")");
        }
        for (int i = 4; i < HEADER_LENGTH; i++) {
            byte b = bytes[i];
            if (!(b >= '0' && b <= '9' || b >= 'a' && b <= 'f')) {
                throw malformed(what, "the key id is not lower-case hex");
            }
        }
        return new String(bytes, 4, KEY_ID_LENGTH, StandardCharsets.US_ASCII);
    }

    private static UnsealException malformed(String what, String detail) {
        return new UnsealException(Reason.MALFORMED, null,
                "cannot open " + what + ": not a valid sealed secret, " + detail
                        + "; re-import the credential");
    }

    /**
     * A thread's cipher for one master key: AES's key schedule and GCM's hash key are computed when the
     * thread first uses that key, not for every secret (two per refresh; in a due storm that was most of
     * a seal's and an open's time and a tenth of a daemon's allocation). Each use starts it afresh with its
     * own nonce and associated data.
     */
    private record KeyedCipher(MasterKey key, GCMModeCipher cipher) {
    }

    private static final ThreadLocal<KeyedCipher> CIPHERS = new ThreadLocal<>();

    private static GCMModeCipher cipher(boolean encrypt, MasterKey key, byte[] nonce, byte[] header, CredentialId id) {
        byte[] credential = id.toString().getBytes(StandardCharsets.UTF_8);
        byte[] associated = Arrays.copyOf(header, header.length + credential.length);
        System.arraycopy(credential, 0, associated, header.length, credential.length);
        KeyedCipher cached = CIPHERS.get();
        if (cached != null && cached.key() == key) {
            // No key: the one it holds (BouncyCastle's GCM still refuses a nonce it was just given for encryption).
            cached.cipher().init(encrypt, new AEADParameters(null, TAG_BITS, nonce, associated));
            return cached.cipher();
        }
        byte[] keyBytes = key.bytes();
        try {
            // The basic multiplier: the default builds a 4 KiB table per key, and it also makes no table lookups
            // indexed by the hash key.
            GCMModeCipher cipher = GCMBlockCipher.newInstance(AESEngine.newInstance(), new BasicGCMMultiplier());
            cipher.init(encrypt, new AEADParameters(new KeyParameter(keyBytes), TAG_BITS, nonce, associated));
            CIPHERS.set(new KeyedCipher(key, cipher));
            return cipher;
        } finally {
            Arrays.fill(keyBytes, (byte) 0);
        }
    }
}
