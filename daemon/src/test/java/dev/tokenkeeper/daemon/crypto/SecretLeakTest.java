package dev.tokenkeeper.daemon.crypto;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.SecretMaterial;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** No message, cause or {@code toString()} of this package shows a key, a passphrase or a secret value. */
class SecretLeakTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final PassphraseKdf CHEAP = new PassphraseKdf(256, 1, 1);

    @TempDir
    Path temp;

    private final byte[] key = new byte[32];
    private final List<String> secrets = new ArrayList<>();
    private final List<String> texts = new ArrayList<>();

    /** Registers the key bytes in every encoding a file or setting could hold them. */
    private void secretKey(byte[] bytes) {
        HexFormat hex = HexFormat.of();
        secrets.add(hex.formatHex(bytes));
        secrets.add(hex.formatHex(bytes, 0, 8));
        secrets.add(hex.formatHex(bytes, 24, 32));
        secrets.add(Base64.getEncoder().withoutPadding().encodeToString(bytes));
        secrets.add(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
        secrets.add(Base64.getEncoder().encodeToString(Arrays.copyOf(bytes, 12)));
        secrets.add(new String(bytes, StandardCharsets.ISO_8859_1));
    }

    private void collect(Throwable thrown) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            texts.add(String.valueOf(t.getMessage()));
            texts.add(t.toString());
        }
    }

    private void load(Map<String, String> env, Path state) {
        try {
            LoadedKey loaded = MasterKeyLoader.load(name -> Optional.ofNullable(env.get(name)), state, CHEAP);
            texts.add(loaded.toString());
            texts.add(loaded.keyring().toString());
        } catch (KeyConfigurationException e) {
            collect(e);
        }
    }

    @Test
    void noMessageOrToStringContainsASecret() throws Exception {
        RANDOM.nextBytes(key);
        secretKey(key);
        String hex = HexFormat.of().formatHex(key);

        // A good key, loaded from a file and from the environment.
        Path good = temp.resolve("good.key");
        Files.write(good, (hex + "\n").getBytes(StandardCharsets.US_ASCII));
        Files.setPosixFilePermissions(good, PosixFilePermissions.fromString("rw-------"));
        load(Map.of(MasterKeyLoader.MASTER_KEY_FILE, good.toString()), temp.resolve("s1"));
        load(Map.of(MasterKeyLoader.MASTER_KEY, hex), temp.resolve("s2"));

        // The same key in a file others can read.
        Path exposed = temp.resolve("exposed.key");
        Files.write(exposed, key);
        Files.setPosixFilePermissions(exposed, PosixFilePermissions.fromString("rw-r--r--"));
        load(Map.of(MasterKeyLoader.MASTER_KEY_FILE, exposed.toString()), temp.resolve("s3"));

        // Almost-keys: one character off in a file and in the environment.
        String almost = hex.substring(0, 63) + "g";
        secrets.add(almost);
        Path bad = temp.resolve("bad.key");
        Files.write(bad, almost.getBytes(StandardCharsets.US_ASCII));
        Files.setPosixFilePermissions(bad, PosixFilePermissions.fromString("rw-------"));
        load(Map.of(MasterKeyLoader.MASTER_KEY_FILE, bad.toString()), temp.resolve("s4"));
        load(Map.of(MasterKeyLoader.MASTER_KEY, almost), temp.resolve("s5"));
        String badBase64 = Base64.getEncoder().encodeToString(key).replace('A', '*') + "*";
        secrets.add(badBase64);
        load(Map.of(MasterKeyLoader.MASTER_KEY, badBase64), temp.resolve("s6"));

        // Passphrases: too short, a bad salt, and a good one.
        String shortPassphrase = "hunter2-xyz";
        String passphrase = "a long passphrase nobody guesses";
        secrets.add(shortPassphrase);
        secrets.add(passphrase);
        load(Map.of(MasterKeyLoader.PASSPHRASE, shortPassphrase), temp.resolve("s7"));
        load(Map.of(MasterKeyLoader.PASSPHRASE, passphrase, MasterKeyLoader.KDF_SALT, "!!"), temp.resolve("s8"));
        Map<String, String> good8 = new HashMap<>();
        good8.put(MasterKeyLoader.PASSPHRASE, passphrase);
        load(good8, temp.resolve("s9"));
        byte[] derived = CHEAP.derive(passphrase, Files.readAllBytes(temp.resolve("s9/kdf-salt"))).bytes();
        secretKey(derived);

        // A generated key and its rotation.
        Path state = temp.resolve("s10");
        load(Map.of(), state);
        secretKey(Files.readAllBytes(state.resolve("master.key")));
        MasterKey next = MasterKeyLoader.rotateGeneratedKey(name -> Optional.empty(), state);
        texts.add(next.toString());
        secretKey(next.bytes());
        load(Map.of(), state);

        // Sealing: every failure of open, with secret values in the material.
        String token = "at-very-secret-token-value";
        String cookie = "vinted-cookie-value-0123456789";
        secrets.add(token);
        secrets.add(cookie);
        MasterKey master = MasterKey.of(key);
        SecretSealer sealer = new SecretSealer(Keyring.of(master));
        SecretMaterial material = new SecretMaterial(Map.of("access_token", token, "cookie", cookie));
        CredentialId id = CredentialId.parse("vinted:admin");
        SealedSecret sealed = sealer.seal(id, material);
        texts.add(sealed.toString());
        texts.add(material.toString());
        texts.add(master.toString());
        texts.add(sealer.keyring().toString());
        byte[] bytes = sealed.bytes();
        for (int i = 0; i < bytes.length; i += 7) {
            byte[] flipped = bytes.clone();
            flipped[i] ^= 0x10;
            collect(assertThrows(UnsealException.class, () -> sealer.open(id, SealedSecret.of(flipped))));
        }
        collect(assertThrows(UnsealException.class, () -> sealer.open(CredentialId.parse("vinted:other"), sealed)));
        SecretSealer stranger = new SecretSealer(Keyring.of(MasterKey.generate(RANDOM)));
        collect(assertThrows(UnsealException.class, () -> stranger.open(id, sealed)));

        assertTrue(texts.size() >= 60, "enough messages were collected to mean something: " + texts.size());
        for (String text : texts) {
            for (String secret : secrets) {
                // Case-insensitive: hex may be printed in either case.
                if (text.toLowerCase(Locale.ROOT).contains(secret.toLowerCase(Locale.ROOT))) {
                    fail("a secret leaked into: " + text);
                }
            }
        }
    }
}
