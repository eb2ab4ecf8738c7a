package dev.tokenkeeper.daemon.cookiecloud;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Opens the {@code encrypted} field of a CookieCloud upload, in both encryptions the browser extension
 * sends. The key is {@code MD5(uuid + "-" + password)} in hex, its first 16 characters.
 * {@code legacy} (the default): CryptoJS passphrase encryption, i.e. base64 of {@code "Salted__"}, an
 * 8-byte salt and the ciphertext, with key and IV from OpenSSL's EVP_BytesToKey (MD5, one round) over
 * the passphrase and the salt, AES-256-CBC, PKCS#7. {@code aes-128-cbc-fixed}: the 16 characters'
 * bytes as the AES-128 key, a zero IV, CBC, PKCS#7, base64 of the ciphertext.
 *
 * <p>A failure never says more than which step failed: no byte of the upload or the key is quoted.
 */
public final class CookieCloudCipher {

    /** The {@code crypto_type} of the CryptoJS passphrase encryption, also used when none is sent. */
    public static final String LEGACY = "legacy";
    /** The {@code crypto_type} of the fixed-IV AES-128 encryption. */
    public static final String FIXED = "aes-128-cbc-fixed";

    private static final byte[] SALTED = "Salted__".getBytes(StandardCharsets.US_ASCII);

    private CookieCloudCipher() {
    }

    /**
     * @param cryptoType {@value #LEGACY} (or null/empty, the extension's default) or {@value #FIXED}
     * @param encrypted  the upload's {@code encrypted} text
     * @param uuid       the link's uuid
     * @param password   the link's password
     * @return the decrypted JSON text
     * @throws UndecryptableUploadException naming what failed (unknown type, not base64, not CryptoJS
     *                                      output, or a wrong key), never quoting the upload
     */
    public static String decrypt(String cryptoType, String encrypted, String uuid, String password)
            throws UndecryptableUploadException {
        byte[] data;
        try {
            data = Base64.getMimeDecoder().decode(encrypted);
        } catch (IllegalArgumentException e) {
            throw new UndecryptableUploadException("encrypted is not base64");
        }
        byte[] passphrase = passphrase(uuid, password).getBytes(StandardCharsets.UTF_8);
        String type = cryptoType == null || cryptoType.isEmpty() ? LEGACY : cryptoType;
        if (type.equals(LEGACY)) {
            if (data.length < 32 || !Arrays.equals(Arrays.copyOf(data, 8), SALTED)) {
                throw new UndecryptableUploadException("encrypted is not CryptoJS passphrase output (no Salted__ header)");
            }
            byte[] salt = Arrays.copyOfRange(data, 8, 16);
            byte[] keyAndIv = bytesToKey(passphrase, salt, 48);
            return open("AES", Arrays.copyOf(keyAndIv, 32), Arrays.copyOfRange(keyAndIv, 32, 48),
                    Arrays.copyOfRange(data, 16, data.length));
        }
        if (type.equals(FIXED)) {
            return open("AES", passphrase, new byte[16], data);
        }
        throw new UndecryptableUploadException("crypto_type must be " + LEGACY + " or " + FIXED);
    }

    /**
     * @param uuid     the link's uuid
     * @param password the link's password
     * @return the first 16 hex characters of {@code MD5(uuid + "-" + password)}
     */
    static String passphrase(String uuid, String password) {
        return HexFormat.of().formatHex(md5().digest((uuid + "-" + password).getBytes(StandardCharsets.UTF_8)))
                .substring(0, 16);
    }

    /** OpenSSL's EVP_BytesToKey with MD5 and one round: {@code D_i = MD5(D_(i-1) || passphrase || salt)}. */
    private static byte[] bytesToKey(byte[] passphrase, byte[] salt, int length) {
        MessageDigest md5 = md5();
        byte[] out = new byte[length];
        byte[] previous = new byte[0];
        for (int filled = 0; filled < length; ) {
            md5.update(previous);
            md5.update(passphrase);
            md5.update(salt);
            previous = md5.digest();
            int take = Math.min(previous.length, length - filled);
            System.arraycopy(previous, 0, out, filled, take);
            filled += take;
        }
        return out;
    }

    private static String open(String algorithm, byte[] key, byte[] iv, byte[] ciphertext)
            throws UndecryptableUploadException {
        if (ciphertext.length == 0 || ciphertext.length % 16 != 0) {
            throw new UndecryptableUploadException("encrypted has no whole AES blocks");
        }
        try {
            Cipher cipher = Cipher.getInstance(algorithm + "/CBC/PKCS5Padding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, algorithm), new IvParameterSpec(iv));
            byte[] plain = cipher.doFinal(ciphertext);
            String text = new String(plain, StandardCharsets.UTF_8);
            if (!text.startsWith("{")) {
                throw new UndecryptableUploadException("the upload does not open with this link's uuid and password");
            }
            return text;
        } catch (GeneralSecurityException e) {
            // A bad padding is what a wrong password gives nearly always.
            throw new UndecryptableUploadException("the upload does not open with this link's uuid and password");
        }
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java has no MD5", e);
        }
    }
}
