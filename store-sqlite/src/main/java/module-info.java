/**
 * The embedded default {@link dev.tokenkeeper.api.TokenStore}: one SQLite file (WAL mode) that
 * several daemon processes may share, accessed through jdbi.
 */
module dev.tokenkeeper.store.sqlite {
    // The shared SQL code brings the SPI, java.sql and jdbi (with the modules jdbi needs).
    requires dev.tokenkeeper.store.jdbc;
    requires org.xerial.sqlitejdbc;

    provides dev.tokenkeeper.api.TokenStore with dev.tokenkeeper.store.sqlite.SqliteTokenStore;
}
