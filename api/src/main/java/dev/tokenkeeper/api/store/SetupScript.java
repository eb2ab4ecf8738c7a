package dev.tokenkeeper.api.store;

/**
 * The SQL a user must run once to create the store's tables, for a store that cannot create them
 * itself (printed by {@code tokenkeeper doctor --print-sql <store>}). May be asked before
 * {@link dev.tokenkeeper.api.TokenStore#open}.
 *
 * <p>Without it the store creates and migrates its own schema, and {@code doctor --print-sql} says so.
 */
public non-sealed interface SetupScript extends StoreCapability {

    /**
     * @return the SQL script, naming the tables as the store's settings do (once
     *         {@link dev.tokenkeeper.api.TokenStore#open} has read them; with the defaults before)
     */
    String setupSql();
}
