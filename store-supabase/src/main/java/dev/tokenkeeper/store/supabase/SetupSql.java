package dev.tokenkeeper.store.supabase;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The SQL that creates the store's tables, shipped as the resource {@code setup.sql} next to this
 * class. The resource names the tables with the default prefix, so that it can be pasted as it is.
 */
final class SetupSql {

    private static final String RESOURCE = "setup.sql";

    private SetupSql() {
    }

    /**
     * @param tablePrefix the prefix of the store's tables
     * @return the script, with {@value SupabaseSettings#DEFAULT_PREFIX} replaced by {@code tablePrefix}
     *         in the store's own table, index and sequence names
     */
    static String forPrefix(String tablePrefix) {
        String script = read();
        if (tablePrefix.equals(SupabaseSettings.DEFAULT_PREFIX)) {
            return script;
        }
        return script.replace("public." + SupabaseSettings.DEFAULT_PREFIX, "public." + tablePrefix)
                .replace("exists " + SupabaseSettings.DEFAULT_PREFIX, "exists " + tablePrefix);
    }

    private static String read() {
        try (InputStream in = SetupSql.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the resource " + RESOURCE + " is missing from the store-supabase jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE + " from the store-supabase jar", e);
        }
    }
}
