package dev.tokenkeeper.dist;

import dev.tokenkeeper.daemon.config.InstalledService;
import dev.tokenkeeper.daemon.config.SecretSettings;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped settings file invites no secret, and the unit, the package and the daemon agree on
 * where secrets live (issue 22, finding 6): the unit loads the credentials folder under the prefix
 * the daemon looks for, and postinst and the package make that folder root's alone.
 */
class ShippedSecretsLayoutTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theExampleSettingsFileInvitesNoSecret() throws IOException {
        String example = Files.readString(ROOT.resolve("systemd/tokenkeeper.env.example"));
        for (String name : SecretSettings.NAMES) {
            // Neither a value nor a commented-out line to fill in: only prose may name a secret.
            assertFalse(Pattern.compile("(?m)^\\s*#?\\s*" + name + "=").matcher(example).find(),
                    "tokenkeeper.env.example invites " + name + " into a file group tokenkeeper reads");
        }
        assertTrue(example.contains("/etc/tokenkeeper/credentials/gazelle_client_secret"), "explains the credentials folder");
    }

    @Test
    void theUnitLoadsTheCredentialsFolderUnderTheNameTheDaemonReads() throws IOException {
        String unit = Files.readString(ROOT.resolve("systemd/tokenkeeper.service"));
        Path folder = InstalledService.DEBIAN.environmentFile().resolveSibling(InstalledService.CREDENTIALS_FOLDER);
        // systemd names a folder's file <id>_<file name> (checked under systemd 252 by SystemdPackageIT).
        String id = SecretSettings.CREDENTIAL_PREFIX.substring(0, SecretSettings.CREDENTIAL_PREFIX.length() - 1);
        assertTrue(unit.contains("\nLoadCredential=" + id + ":" + folder + "\n"), unit);
        String postinst = Files.readString(ROOT.resolve("dist/src/deb/control/postinst"));
        assertTrue(postinst.contains("chmod 0700 \"$etc/credentials\""), postinst);
        String postrm = Files.readString(ROOT.resolve("dist/src/deb/control/postrm"));
        assertTrue(postrm.contains("rm -rf " + folder + "\n"), postrm);
    }
}
