package dev.tokenkeeper.daemon.rekey;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.SealedSecret;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.daemon.crypto.Keyring;
import dev.tokenkeeper.daemon.crypto.MasterKey;
import dev.tokenkeeper.daemon.crypto.SecretSealer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The search for old ciphertexts: raw (a database file), Base64 (a spool file), across read chunks. */
class OldCiphertextsTest {

    @TempDir
    Path state;

    private final SecretSealer oldSealer = new SecretSealer(Keyring.of(MasterKey.generate(new SecureRandom())));
    private final SecretSealer newSealer = new SecretSealer(Keyring.of(MasterKey.generate(new SecureRandom())));
    private final CredentialId id = CredentialId.parse("gazelle:default");
    private final SecretMaterial secret = new SecretMaterial(Map.of("refresh_token", "r-1"));

    @Test
    void findsRawAndBase64SecretsOfTheOldKeyOnlyAndSkipsTheKeysFolder() throws Exception {
        byte[] old = oldSealer.seal(id, secret).bytes();
        ByteArrayOutputStream database = new ByteArrayOutputStream();
        // Two old secrets, one straddling the 1 MiB read chunk, and a new one.
        database.write(new byte[(1 << 20) - 5]);
        database.write(old);
        database.write(new byte[100]);
        database.write(old);
        database.write(newSealer.seal(id, secret).bytes());
        Files.write(state.resolve("tokenkeeper.db-wal"), database.toByteArray());
        Files.createDirectories(state.resolve("spool"));
        Files.writeString(state.resolve("spool/gazelle~default.json.tmp"), "{\"secret\":\""
                + SealedSecret.of(old).toBase64() + "\"}", StandardCharsets.UTF_8);
        Files.writeString(state.resolve("spool/gazelle~default.json"), "{\"secret\":\""
                + newSealer.seal(id, secret).toBase64() + "\"}", StandardCharsets.UTF_8);
        Files.createDirectories(state.resolve("keys"));
        Files.write(state.resolve("keys/copy"), old);

        String oldId = oldSealer.keyring().current().id();
        List<OldCiphertexts.Found> found = OldCiphertexts.under(state, List.of(oldId), Set.of(state.resolve("keys")));

        assertEquals(List.of(new OldCiphertexts.Found(state.resolve("spool/gazelle~default.json.tmp"), oldId, 1),
                        new OldCiphertexts.Found(state.resolve("tokenkeeper.db-wal"), oldId, 2)),
                found.stream().sorted((a, b) -> a.file().compareTo(b.file())).toList());
        assertEquals(List.of(), OldCiphertexts.under(state, List.of(), Set.of()));
    }
}
