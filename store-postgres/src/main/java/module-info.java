/**
 * A {@link dev.tokenkeeper.api.TokenStore} in a PostgreSQL database reached directly (JDBC), for
 * several daemons sharing their credentials, with changes announced through {@code LISTEN/NOTIFY}.
 */
module dev.tokenkeeper.store.postgres {
    requires dev.tokenkeeper.api;
    requires dev.tokenkeeper.store.jdbc;
    requires java.sql;
    requires org.jdbi.v3.core;
    requires org.postgresql.jdbc;
    requires com.zaxxer.hikari;
    // jdbi is an automatic module: its own dependencies are not resolved for it, so name them here.
    requires io.leangen.geantyref;
    requires org.slf4j;

    provides dev.tokenkeeper.api.TokenStore with dev.tokenkeeper.store.postgres.PostgresTokenStore;
}
