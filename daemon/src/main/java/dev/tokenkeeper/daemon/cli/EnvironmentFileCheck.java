package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.daemon.config.InstalledService;
import dev.tokenkeeper.daemon.config.SecretSettings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code doctor}'s check of an environment file (the unit's {@code EnvironmentFile=}): a secret in a
 * file that its group or others may read is a secret every one of them holds. The package makes
 * {@code /etc/tokenkeeper/tokenkeeper.env} readable by group {@code tokenkeeper} (the CLI users), so
 * secrets belong in the root-only credentials folder instead. Names the settings, never their values.
 */
final class EnvironmentFileCheck {

    private static final String CHECK = "environment file";

    private EnvironmentFileCheck() {
    }

    /**
     * @param file an environment file
     * @return the outcome, or nothing when the file is absent or this user cannot read it
     */
    static Optional<ServiceChecks.Result> check(Path file) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            return Optional.empty();
        }
        Set<String> secrets = new TreeSet<>();
        InstalledService.readEnvironmentFile(file).forEach((name, value) -> {
            if (SecretSettings.isSecret(name) && !value.isBlank()) {
                secrets.add(name);
            }
        });
        if (secrets.isEmpty()) {
            return Optional.of(new ServiceChecks.Result("ok", CHECK, file + " holds no secret"));
        }
        PosixFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
        Set<PosixFilePermission> mode = attributes.permissions();
        List<String> readers = new ArrayList<>();
        if (mode.contains(PosixFilePermission.GROUP_READ)) {
            readers.add("group " + attributes.group().getName());
        }
        if (mode.contains(PosixFilePermission.OTHERS_READ)) {
            readers.add("every user");
        }
        if (readers.isEmpty()) {
            return Optional.of(new ServiceChecks.Result("ok", CHECK, file + " holds " + String.join(", ", secrets)
                    + " and only its owner may read it"));
        }
        Path credentials = file.resolveSibling("credentials");
        String example = secrets.iterator().next();
        return Optional.of(new ServiceChecks.Result("warn", CHECK, file + " holds " + String.join(", ", secrets)
                + " and " + String.join(" and ", readers) + " may read it: move each into its own file in "
                + credentials + " (0600 root; e.g. " + credentials.resolve(SecretSettings.fileName(example))
                + "), delete the line, then `systemctl restart tokenkeeper`"));
    }
}
