package dev.tokenkeeper.daemon.crypto;

import dev.tokenkeeper.daemon.crypto.KeyFiles.Exposure;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The private files of the key material in a real temp folder: sizes, modes, and what each write leaves behind. */
class KeyFilesTest {

    @TempDir
    Path folder;

    private Path file(String name, byte[] content, String mode) throws IOException {
        Path file = Files.write(folder.resolve(name), content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    private static String mode(Path file) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    private List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(path -> path.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aFileOfUpTo1024BytesIsReadWholeAndALargerOneIsRefused() throws Exception {
        byte[] largest = new byte[KeyFiles.MAX_KEY_FILE_SIZE];
        largest[1023] = 7;
        Path fits = file("fits", largest, "rw-------");
        assertArrayEquals(largest, KeyFiles.readPrivateFile(fits, "KDF salt file", Exposure.GROUP_OR_OTHERS));

        Path tooLarge = file("too-large", new byte[KeyFiles.MAX_KEY_FILE_SIZE + 1], "rw-------");
        KeyConfigurationException refused = assertThrows(KeyConfigurationException.class,
                () -> KeyFiles.readPrivateFile(tooLarge, "KDF salt file", Exposure.GROUP_OR_OTHERS));
        assertEquals("KDF salt file " + tooLarge + " is 1025 bytes, too large for a key: expected 32 raw bytes, 64 hex"
                + " characters or Base64 of 32 bytes", refused.getMessage());
        assertArrayEquals(new byte[0], KeyFiles.readPrivateFile(file("empty", new byte[0], "rw-------"), "KDF salt file",
                Exposure.GROUP_OR_OTHERS));
    }

    @Test
    void aMissingFileIsNamedWithHowToCreateOne() {
        Path missing = folder.resolve("master.key");
        KeyConfigurationException refused = assertThrows(KeyConfigurationException.class,
                () -> KeyFiles.readPrivateFile(missing, "master key file", Exposure.GROUP_OR_OTHERS));
        assertEquals("master key file " + missing + " does not exist: create one with `head -c 32 /dev/urandom > "
                + missing + " && chmod 600 " + missing + "`", refused.getMessage());
    }

    @Test
    void aFileTheUserManagesMayBeNeitherReadNorWrittenByItsGroupOrOthers() throws Exception {
        Path key = file("master.key", new byte[32], "rw--w----");
        assertEquals("master key file " + key + " is writable by others (mode 0620): run `chmod 600 " + key + "`",
                refusal(key, Exposure.GROUP_OR_OTHERS));
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertEquals("master key file " + key + " is readable by others (mode 0666): run `chmod 600 " + key + "`",
                refusal(key, Exposure.GROUP_OR_OTHERS));
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        KeyFiles.checkPermissions(key, "master key file", Exposure.GROUP_OR_OTHERS);
    }

    @Test
    void aSystemdCredentialMayBeReadAndWrittenByItsGroupButNotByOthers() throws Exception {
        Path credential = file("master-key", new byte[32], "rw-rw----");
        KeyFiles.checkPermissions(credential, "systemd credential", Exposure.OTHERS);
        Files.setPosixFilePermissions(credential, PosixFilePermissions.fromString("rw-rw--w-"));
        assertEquals("systemd credential " + credential + " is writable by others (mode 0662): run `chmod o-rwx "
                + credential + "`", refusal(credential, Exposure.OTHERS));
        Files.setPosixFilePermissions(credential, PosixFilePermissions.fromString("r-----r--"));
        assertEquals("systemd credential " + credential + " is readable by others (mode 0404): run `chmod o-rwx "
                + credential + "`", refusal(credential, Exposure.OTHERS));
    }

    private static String refusal(Path file, Exposure exposure) {
        String what = exposure == Exposure.OTHERS ? "systemd credential" : "master key file";
        return assertThrows(KeyConfigurationException.class, () -> KeyFiles.checkPermissions(file, what, exposure))
                .getMessage();
    }

    @Test
    void modesAreWrittenInOctal() {
        assertEquals("0600", KeyFiles.mode(PosixFilePermissions.fromString("rw-------")));
        assertEquals("0755", KeyFiles.mode(PosixFilePermissions.fromString("rwxr-xr-x")));
        assertEquals("01", KeyFiles.mode(PosixFilePermissions.fromString("--------x")));
        assertEquals("00", KeyFiles.mode(Set.of()));
    }

    @Test
    void aNewFileIsWrittenOwnerOnlyOnceAndAnExistingOneIsLeftUntouched() throws Exception {
        Path salt = folder.resolve("kdf-salt");
        assertTrue(KeyFiles.writePrivateFileIfAbsent(salt, new byte[] {1, 2, 3}), "this call created it");
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(salt));
        assertEquals("rw-------", mode(salt));

        assertFalse(KeyFiles.writePrivateFileIfAbsent(salt, new byte[] {4, 5, 6}), "it existed");
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(salt), "untouched");
        assertEquals(List.of("kdf-salt"), names(), "no temporary file left");
    }

    @Test
    void aReplacedFileHoldsTheNewContentOwnerOnlyAndNothingElseIsLeft() throws Exception {
        Path key = file("master.key", new byte[] {1}, "rw-r--r--");
        KeyFiles.replacePrivateFile(key, new byte[] {9, 9});
        assertArrayEquals(new byte[] {9, 9}, Files.readAllBytes(key));
        assertEquals("rw-------", mode(key));
        assertEquals(List.of("master.key"), names());
    }

    @Test
    void privateFoldersAreCreatedOwnerOnlyAndAnExistingOneKeepsItsMode() throws Exception {
        Path nested = folder.resolve("state/keys");
        KeyFiles.createPrivateDirectories(nested);
        assertEquals("rwx------", mode(nested));
        assertEquals("rwx------", mode(nested.getParent()));
        Path existing = Files.createDirectories(folder.resolve("shared"));
        Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rwxr-x---"));
        KeyFiles.createPrivateDirectories(existing);
        assertEquals("rwxr-x---", mode(existing), "the user's folder is the user's business");
    }

    @Test
    void aKeyIsRawBytesOrTrimmedHexOrEitherBase64() {
        byte[] raw = new byte[32];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) (0xE0 + i);
        }
        MasterKey key = MasterKey.of(raw);
        assertEquals(Optional.of(key), KeyFiles.parseKey(raw.clone()));
        String hex = HexFormat.of().formatHex(raw);
        assertEquals(Optional.of(key), KeyFiles.parseKey(ascii(" \t" + hex.toUpperCase() + "\r\n\f")));
        assertEquals(Optional.of(key), KeyFiles.parseKey(ascii(Base64.getEncoder().encodeToString(raw) + "\n")));
        String urlSafe = Base64.getUrlEncoder().encodeToString(raw);
        assertTrue(urlSafe.contains("-") || urlSafe.contains("_"), "the sample needs URL-safe characters: " + urlSafe);
        assertEquals(Optional.of(key), KeyFiles.parseKey(ascii(urlSafe)));
        assertEquals(Optional.empty(), KeyFiles.parseKey(ascii("  \n ")));
        assertEquals(Optional.empty(), KeyFiles.parseKey(ascii(hex.substring(0, 62) + "g0")));
    }

    @Test
    void hexIsNoKeyWhenEitherDigitOfAByteIsOutsideTheAlphabetAndZeroIsADigit() {
        byte[] raw = new byte[32];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) (i * 8); // 00 08 10 ... f8: zero in both halves of a byte
        }
        String hex = HexFormat.of().formatHex(raw);
        assertEquals(Optional.of(MasterKey.of(raw)), KeyFiles.parseKey(ascii(hex)));
        assertEquals(Optional.empty(), KeyFiles.parseKey(ascii(hex.substring(0, 62) + "0g")), "a bad low digit");
        assertEquals(Optional.empty(), KeyFiles.parseKey(ascii("g" + hex.substring(1))), "a bad high digit");
        assertEquals(Optional.empty(), KeyFiles.parseKey(ascii(Base64.getEncoder().encodeToString(new byte[31]))),
                "the Base64 of 31 bytes");
        assertEquals(Optional.empty(), KeyFiles.parseKey(ascii(Base64.getEncoder().encodeToString(new byte[33]))),
                "the Base64 of 33 bytes");
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
