package dev.tokenkeeper.api;

import java.util.List;
import java.util.Objects;

/**
 * The result of a successful import: the secret and anything the user should know about it.
 *
 * @param issued   the secret and its lifetimes
 * @param warnings human-readable remarks that do not stop the import, for example
 *                 "the access token is anonymous (scope public): log in before copying the cookies";
 *                 never containing a secret
 */
public record ImportedSecret(IssuedSecret issued, List<String> warnings) {

    /** Copies the warnings. */
    public ImportedSecret {
        Objects.requireNonNull(issued, "issued");
        warnings = List.copyOf(warnings);
    }

    /**
     * @param issued the secret and its lifetimes
     * @return an import without warnings
     */
    public static ImportedSecret of(IssuedSecret issued) {
        return new ImportedSecret(issued, List.of());
    }
}
