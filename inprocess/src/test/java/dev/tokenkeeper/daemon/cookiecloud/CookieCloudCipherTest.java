package dev.tokenkeeper.daemon.cookiecloud;

import dev.tokenkeeper.inprocess.CryptoJs;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CookieCloudCipher} against uploads encrypted by the real {@code crypto-js} npm package (what
 * the extension bundles), run with Node ({@link CryptoJs}: 4.2.0 from the npm registry, pinned and
 * integrity-checked). In the {@code inprocess} module, beside the receiver's tests, so that one
 * fixture fetches crypto-js; in the cipher's package for {@link CookieCloudCipher#passphrase}.
 */
class CookieCloudCipherTest {

    private static final String UUID = "8Bq3xkN2rYwG4vTt";
    private static final String PASSWORD = "SECRET-PASSWORD-4c1e";
    private static final String DATA = "{\"cookie_data\":{\"vinted\":[{\"name\":\"access_token_web\",\"value\":\"SECRET-A\","
            + "\"domain\":\".vinted.fr\"}]},\"local_storage_data\":{},\"update_time\":\"2026-12-05T23:00:00.000Z\"}";

    private static CryptoJs js;

    @BeforeAll
    static void installCryptoJs() throws Exception {
        js = CryptoJs.installed();
    }

    @Test
    void legacyUploadsOfCryptoJsOpen() throws Exception {
        String encrypted = js.legacy(DATA, UUID, PASSWORD);
        assertEquals(DATA, CookieCloudCipher.decrypt("legacy", encrypted, UUID, PASSWORD));
        assertEquals(DATA, CookieCloudCipher.decrypt(null, encrypted, UUID, PASSWORD), "legacy is the default");
    }

    @Test
    void fixedIvUploadsOfCryptoJsOpen() throws Exception {
        String encrypted = js.fixed(DATA, UUID, PASSWORD);
        assertEquals(DATA, CookieCloudCipher.decrypt("aes-128-cbc-fixed", encrypted, UUID, PASSWORD));
    }

    @Test
    void theKeyIsTheExtensionsPassphrase() throws Exception {
        assertEquals(js.node("console.log(key)", DATA, UUID, PASSWORD), CookieCloudCipher.passphrase(UUID, PASSWORD));
    }

    @Test
    void aWrongPasswordATypeOrGarbageIsRefusedQuotingNothing() throws Exception {
        String legacy = js.legacy(DATA, UUID, PASSWORD);
        for (String[] wrong : new String[][] {{"legacy", legacy, "SECRET-WRONG"}, {"aes-128-cbc-fixed", legacy, PASSWORD},
                {"rot13", legacy, PASSWORD}, {"legacy", "%%%SECRET%%%", PASSWORD}, {"legacy", "U0VDUkVU", PASSWORD}}) {
            UndecryptableUploadException e = assertThrows(UndecryptableUploadException.class,
                    () -> CookieCloudCipher.decrypt(wrong[0], wrong[1], UUID, wrong[2]));
            assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
            assertFalse(e.getMessage().contains(legacy.substring(0, 12)), e.getMessage());
            assertTrue(e.getMessage().length() < 120, e.getMessage());
        }
    }
}
