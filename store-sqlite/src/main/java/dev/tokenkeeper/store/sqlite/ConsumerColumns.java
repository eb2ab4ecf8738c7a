package dev.tokenkeeper.store.sqlite;

import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** How a {@link Consumer} maps to a row of {@code consumers}: its credential ids space-separated. */
final class ConsumerColumns {

    /** Every column, for {@code SELECT}. */
    static final String COLUMNS = "name, token_hash, credentials, created_at, mac";

    private ConsumerColumns() {
    }

    static String credentials(Consumer consumer) {
        return consumer.credentials().stream().map(CredentialId::toString).collect(Collectors.joining(" "));
    }

    static Consumer read(ResultSet rows) throws SQLException {
        return new Consumer(rows.getString("name"), rows.getString("token_hash"),
                Arrays.stream(rows.getString("credentials").split(" ")).map(CredentialId::parse).toList(),
                Instant.ofEpochMilli(rows.getLong("created_at")), Optional.ofNullable(rows.getString("mac")));
    }
}
