package dev.tokenkeeper.store.supabase;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoreUnavailableException;

/**
 * Turns a PostgREST answer that is not a success into one-line {@link StoreException}s that say
 * what to do. Messages carry PostgREST's {@code code} and {@code message} (which describe the
 * error, not row values) but never its {@code details}, a request body or the key.
 */
final class PostgrestErrors {

    /** The command that prints the setup SQL, named in messages. */
    static final String PRINT_SQL = "tokenkeeper doctor --print-sql supabase";

    private final SupabaseSettings settings;
    private final ObjectMapper json;

    /**
     * @param settings the URL and table names, for messages
     * @param json     the mapper
     */
    PostgrestErrors(SupabaseSettings settings, ObjectMapper json) {
        this.settings = settings;
        this.json = json;
    }

    /**
     * @param action   what was being done, e.g. "insert credential gazelle:default"
     * @param table    the table the request was on
     * @param response an answer that is not a success
     * @return the exception to throw: {@link StoreUnavailableException} for 408, 429 and 5xx
     */
    StoreException translate(String action, String table, PostgrestResponse response) {
        int status = response.status();
        PostgrestError error = PostgrestError.parse(json, response.body());
        String answered = "HTTP " + status + error.summary().map(summary -> ", " + summary).orElse("");
        if (status == 401 || status == 403 || error.is("PGRST301", "PGRST302", "PGRST303", "42501")) {
            return new StoreException("supabase: " + SupabaseSettings.KEY + " was rejected (" + answered
                    + "): use the service_role key from Project Settings > API, not the anon key;"
                    + " if it is that key, run `" + PRINT_SQL + "` again in the SQL editor to restore the grants");
        }
        if (error.is("PGRST205", "42P01")) {
            return new StoreException("supabase: table " + table + " does not exist (" + error.code() + "): run `"
                    + PRINT_SQL + "` and paste the output into the Supabase SQL editor");
        }
        if (status == 404) {
            return new StoreException("supabase: " + SupabaseSettings.URL + " " + settings.printableUrl()
                    + " does not answer like a Supabase project (" + answered + " for /rest/v1/" + table
                    + "): set it to the Project URL from Project Settings > API");
        }
        if (status == 408 || status == 429 || status >= 500) {
            return new StoreUnavailableException("supabase: " + settings.printableUrl() + " answered " + answered
                    + " to " + action + ": the project is down, paused or overloaded; tokenkeeper retries", null);
        }
        if (error.is("PGRST204", "42703", "23502", "23514", "22P02")) {
            return new StoreException("supabase: cannot " + action + " (" + answered + "): table " + table
                    + " does not match this tokenkeeper; run `" + PRINT_SQL + "` and compare");
        }
        if (status >= 300 && status < 400) {
            return new StoreException("supabase: " + SupabaseSettings.URL + " " + settings.printableUrl()
                    + " answered with a redirect (" + answered + "): set it to the Project URL exactly as"
                    + " Project Settings > API shows it, with https://");
        }
        return new StoreException("supabase: cannot " + action + " (" + answered + "): check the Supabase"
                + " project's logs; this may be a bug in tokenkeeper");
    }
}
