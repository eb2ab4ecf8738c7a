package dev.tokenkeeper.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.api.StoreException;
import dev.tokenkeeper.api.StoreUnavailableException;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@link PostgresErrors} makes of a failure the pool itself raises: every connection in use
 * for longer than the pool's wait (a loaded machine, many consumers) is an outage that passes, so
 * the daemon spools a refresh's result or answers 503 rather than failing a credential.
 */
class PostgresErrorsTest {

    @RegisterExtension
    static final PostgresServer POSTGRES = new PostgresServer();

    @Test
    void aPoolWhoseConnectionsAreAllInUseForLongerThanItsWaitIsAnOutage() throws Exception {
        PGSimpleDataSource direct = new PGSimpleDataSource();
        direct.setUrl(POSTGRES.jdbcUrl());
        HikariConfig config = new HikariConfig();
        config.setDataSource(direct);
        config.setPoolName("tokenkeeper-postgres");
        config.setMaximumPoolSize(1);
        // Long enough for the first connection on a loaded machine; short once it is taken.
        config.setConnectionTimeout(30_000);
        PostgresSettings settings = new PostgresSettings(POSTGRES.jdbcUrl(), Optional.empty(), Optional.empty(),
                "tk_errors", Duration.ofSeconds(5));
        try (HikariDataSource pool = new HikariDataSource(config); Connection busy = pool.getConnection()) {
            assertTrue(busy.isValid(5), "the pool's only connection is taken and stays so");
            pool.setConnectionTimeout(250);
            RuntimeException failure = assertThrows(RuntimeException.class,
                    () -> Jdbi.create(pool).withHandle(handle -> handle.createQuery("SELECT 1").mapTo(Integer.class).one()));

            StoreException translated = new PostgresErrors(settings).translate("read credential gazelle:default", failure);

            assertInstanceOf(StoreUnavailableException.class, translated, translated.getMessage());
            assertTrue(translated.getMessage().startsWith("postgres: could not read credential gazelle:default ("),
                    translated.getMessage());
            assertTrue(translated.getMessage().contains("request timed out"), translated.getMessage());
            assertFalse(translated.getMessage().contains("\n"), translated.getMessage());
        }
    }
}
