package dev.tokenkeeper.daemon.crypto;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Stretches a passphrase into a master key with Argon2id (version 1.3).
 *
 * @param memoryKiB   memory cost in KiB
 * @param iterations  time cost
 * @param parallelism lanes
 */
record PassphraseKdf(int memoryKiB, int iterations, int parallelism) {

    /**
     * The parameters the daemon uses: 64 MiB, 3 passes, 1 lane (OWASP's recommended Argon2id
     * range; about half a second on a small server, paid once at start).
     */
    static final PassphraseKdf DEFAULT = new PassphraseKdf(64 * 1024, 3, 1);

    /** Passphrases shorter than this are refused. */
    static final int MIN_PASSPHRASE_LENGTH = 12;

    /** Salts shorter than this are refused. */
    static final int MIN_SALT_LENGTH = 16;

    /**
     * @param passphrase the passphrase (its UTF-8 bytes are stretched)
     * @param salt       at least 16 bytes
     * @return the derived key
     */
    MasterKey derive(CharSequence passphrase, byte[] salt) {
        if (salt.length < MIN_SALT_LENGTH) {
            throw new IllegalArgumentException("salt must be at least " + MIN_SALT_LENGTH + " bytes");
        }
        ByteBuffer encoded = StandardCharsets.UTF_8.encode(CharBuffer.wrap(passphrase));
        byte[] password = new byte[encoded.remaining()];
        encoded.get(password);
        Arrays.fill(encoded.array(), (byte) 0);
        byte[] key = new byte[MasterKey.LENGTH];
        Argon2Parameters.Builder builder = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memoryKiB)
                .withIterations(iterations)
                .withParallelism(parallelism)
                .withSalt(salt);
        try {
            Argon2BytesGenerator generator = new Argon2BytesGenerator();
            generator.init(builder.build());
            generator.generateBytes(password, key);
            return MasterKey.of(key);
        } finally {
            builder.clear();
            Arrays.fill(password, (byte) 0);
            Arrays.fill(key, (byte) 0);
        }
    }

    /** @return a short description for logs, for example {@code argon2id m=65536KiB t=3 p=1} */
    String describe() {
        return "argon2id m=" + memoryKiB + "KiB t=" + iterations + " p=" + parallelism;
    }
}
