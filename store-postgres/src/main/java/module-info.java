/**
 * A {@link dev.tokenkeeper.api.TokenStore} in a PostgreSQL database reached directly (JDBC), for
 * several daemons sharing their credentials, with changes announced through {@code LISTEN/NOTIFY}.
 */
module dev.tokenkeeper.store.postgres {
    // The shared SQL code brings the SPI, java.sql and jdbi (with the modules jdbi needs).
    requires dev.tokenkeeper.store.jdbc;
    requires org.postgresql.jdbc;
    requires com.zaxxer.hikari;

    provides dev.tokenkeeper.api.TokenStore with dev.tokenkeeper.store.postgres.PostgresTokenStore;
}
