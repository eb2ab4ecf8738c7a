/**
 * The embedded default {@link dev.tokenkeeper.api.TokenStore}: one SQLite file (WAL mode) that
 * several daemon processes may share, accessed through jdbi.
 */
module dev.tokenkeeper.store.sqlite {
    requires dev.tokenkeeper.api;
    requires dev.tokenkeeper.store.jdbc;
    requires java.sql;
    requires org.jdbi.v3.core;
    requires org.xerial.sqlitejdbc;
    // jdbi is an automatic module: its own dependencies are not resolved for it, so name them here
    // (Jdbi.create needs geantyref; Jdbi and Handle log through slf4j).
    requires io.leangen.geantyref;
    requires org.slf4j;

    provides dev.tokenkeeper.api.TokenStore with dev.tokenkeeper.store.sqlite.SqliteTokenStore;
}
