package dev.tokenkeeper.store.sqlite;

import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.StoreException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What the SQLite store reads from the daemon's settings.
 *
 * @param file        the database file, absolute
 * @param synchronous the {@code PRAGMA synchronous} level: {@code FULL} or {@code NORMAL}
 */
record SqliteSettings(Path file, String synchronous) {

    /** Setting naming the database file; a relative path is taken inside the state folder. */
    static final String PATH = "TOKENKEEPER_SQLITE_PATH";
    /** Setting for {@code PRAGMA synchronous}: {@code FULL} (default) or {@code NORMAL}. */
    static final String SYNCHRONOUS = "TOKENKEEPER_SQLITE_SYNCHRONOUS";
    /** The file name used inside the state folder when {@link #PATH} is not set. */
    static final String DEFAULT_FILE_NAME = "tokenkeeper.db";

    /**
     * @param context the daemon's settings and state folder
     * @return the settings
     * @throws StoreException when a setting has a value that cannot be used
     */
    static SqliteSettings from(PluginContext context) {
        Path state = context.stateDirectory();
        Path file;
        try {
            file = context.setting(PATH).map(String::trim).map(Path::of)
                    .map(state::resolve)
                    .orElse(state.resolve(DEFAULT_FILE_NAME));
        } catch (InvalidPathException e) {
            throw new StoreException("sqlite: " + PATH + " is not a valid path (" + e.getReason()
                    + "): set it to a file name such as /var/lib/tokenkeeper/tokenkeeper.db");
        }
        String synchronous = context.setting(SYNCHRONOUS, "FULL").trim().toUpperCase(Locale.ROOT);
        if (!synchronous.equals("FULL") && !synchronous.equals("NORMAL")) {
            throw new StoreException("sqlite: " + SYNCHRONOUS + " must be FULL or NORMAL, not '"
                    + PluginContext.printable(synchronous) + "': fix or remove the setting");
        }
        return new SqliteSettings(file.toAbsolutePath().normalize(), synchronous);
    }
}
