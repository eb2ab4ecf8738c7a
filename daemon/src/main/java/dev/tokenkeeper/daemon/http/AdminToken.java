package dev.tokenkeeper.daemon.http;

import dev.tokenkeeper.daemon.config.ConfigurationException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The bearer token every {@code /api/} request must carry. Read from a file; generated into the
 * state folder (mode 0600) on first run, where the CLI finds it.
 */
public final class AdminToken {

    /** The group of the people allowed to use the service's admin token. */
    private static final String SHARED_GROUP = "tokenkeeper";

    /** A guessable admin token is every credential: refuse anything weaker than a 128-bit key. */
    static final int MIN_BITS = 128;

    private final byte[] digest;

    private AdminToken(String token) {
        this.digest = sha256(token);
    }

    /**
     * Reads the token file, creating it with a random token if it does not exist.
     *
     * @param file where the token lives
     * @return the token
     * @throws ConfigurationException when the file is unreadable, empty or readable by others
     */
    public static AdminToken loadOrCreate(Path file) {
        if (!Files.exists(file)) {
            create(file);
        }
        return new AdminToken(read(file));
    }

    /**
     * Reads the token file (the CLI's side).
     *
     * @param file where the token lives
     * @return the token text
     * @throws ConfigurationException when it cannot be read
     */
    public static String read(Path file) {
        try {
            checkPrivate(file);
            String token = Files.readString(file, StandardCharsets.UTF_8).trim();
            if (token.isEmpty()) {
                throw new ConfigurationException("admin token file " + file + " is empty: delete it to have a new one generated");
            }
            if (estimatedBits(token) < MIN_BITS) {
                throw new ConfigurationException("admin token file " + file + " holds a weak token (about "
                        + estimatedBits(token) + " bits; at least " + MIN_BITS + " are needed, and repeats, sequences,"
                        + " keyboard walks and common words count for little): delete the file to have a new one"
                        + " generated, or write a random one, e.g. `openssl rand -base64 32 > " + file + "`");
            }
            return token;
        } catch (IOException e) {
            throw new ConfigurationException("cannot read the admin token file " + file + " (" + reason(e, file)
                    + "): run as the daemon's user or set TOKENKEEPER_ADMIN_TOKEN_FILE");
        }
    }

    /**
     * @param presented the value after {@code Bearer }
     * @return true when it matches, compared in constant time
     */
    public boolean matches(String presented) {
        return MessageDigest.isEqual(digest, sha256(presented));
    }

    /** @return a new random token: 32 bytes in base64url */
    static String generate() {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    private static void create(Path file) {
        String token = generate();
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path temp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(temp);
            try {
                Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException notPosix) {
                Files.createFile(temp);
            }
            Files.writeString(temp, token + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException raced) {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new ConfigurationException("cannot create the admin token file " + file + ": " + reason(e, file));
        }
    }

    private static void checkPrivate(Path file) throws IOException {
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            // The Debian package shares the token with group tokenkeeper (0640 root:tokenkeeper).
            boolean sharedWithAdmins = SHARED_GROUP.equals(Files.readAttributes(file, PosixFileAttributes.class).group().getName());
            if (mode.contains(PosixFilePermission.OTHERS_READ) || mode.contains(PosixFilePermission.GROUP_READ) && !sharedWithAdmins
                    || mode.contains(PosixFilePermission.OTHERS_WRITE) || mode.contains(PosixFilePermission.GROUP_WRITE)) {
                throw new ConfigurationException("admin token file " + file + " is readable or writable by others (mode "
                        + PosixFilePermissions.toString(mode) + "): run `chmod 600 " + file + "`");
            }
        } catch (UnsupportedOperationException notPosix) {
            // No modes to check on this file system.
        }
    }

    /** The strength estimate: repeats, runs, keyboard walks and well-known words count for little (see {@link TokenStrength}). */
    static int estimatedBits(String token) {
        return TokenStrength.estimatedBits(token);
    }

    /** The route where the daemon proves it holds the admin token before a client sends it. */
    public static final String CHALLENGE_PATH = "/auth-challenge";

    /**
     * The daemon's answer to a client's challenge: HMAC-SHA256 keyed with the token's SHA-256, so
     * only a holder of the token can give it, and the answer reveals nothing of the token.
     *
     * @param nonce the client's random challenge
     * @return the proof, base64url without padding
     */
    public String proof(String nonce) {
        return hmac(digest, nonce);
    }

    /**
     * @param token the admin token (the client's side)
     * @param nonce the challenge the client sent
     * @return the proof a daemon holding {@code token} answers
     */
    public static String expectedProof(String token, String nonce) {
        return hmac(sha256(token), nonce);
    }

    /**
     * The challenge as the daemon answers it on the Unix socket: bound to the uid it runs as, so that
     * the CLI can hold the proof against the uid the kernel reports for the socket's other end
     * ({@code SO_PEERCRED}) and a program relaying the challenge to the daemon is found out. Nonces
     * are base64url, so no plain nonce can be this text.
     *
     * @param nonce the client's random challenge
     * @param uid   the daemon's effective uid
     * @return the text to prove
     */
    public static String boundToUid(String nonce, int uid) {
        return nonce + ".uid=" + uid;
    }

    private static String hmac(byte[] key, String nonce) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    mac.doFinal(("tokenkeeper-challenge:" + nonce).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return nothing secret */
    @Override
    public String toString() {
        return "AdminToken[hidden]";
    }

    /** The IOException's own words, without the path it often consists of (the message names it already). */
    private static String reason(IOException e, Path file) {
        String message = e.getMessage();
        if (message == null || message.isBlank() || message.equals(file.toString())
                || message.equals(file.toAbsolutePath().toString())) {
            return e instanceof NoSuchFileException ? "no such file"
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e.getClass().getSimpleName();
        }
        return message.replace(file.toString() + ": ", "").replace(file.toString(), "the file");
    }
}
