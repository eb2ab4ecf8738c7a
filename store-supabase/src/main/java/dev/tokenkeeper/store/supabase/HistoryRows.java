package dev.tokenkeeper.store.supabase;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.RefreshOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/** Maps {@link RefreshEvent} to JSON rows of the history table and back. */
final class HistoryRows {

    /** The columns an event is read from. */
    static final String COLUMNS = "credential_id,at,outcome,detail,duration_ms,version";

    private HistoryRows() {
    }

    /**
     * @param event the event
     * @return the row to insert (the table numbers it)
     */
    static ObjectNode row(RefreshEvent event) {
        ObjectNode row = JsonNodeFactory.instance.objectNode();
        row.put("credential_id", event.id().toString());
        row.put("at", event.at().toEpochMilli());
        row.put("outcome", event.outcome().wireName());
        row.put("detail", event.detail());
        row.put("duration_ms", event.duration().toMillis());
        row.put("version", event.version());
        return row;
    }

    /**
     * @param row a row selected with {@link #COLUMNS}
     * @return the event
     * @throws IllegalArgumentException when a value is missing or not valid
     */
    static RefreshEvent read(JsonNode row) {
        return new RefreshEvent(
                CredentialId.parse(Columns.text(row, "credential_id")),
                Instant.ofEpochMilli(Columns.millis(row, "at")),
                RefreshOutcome.valueOf(Columns.text(row, "outcome").toUpperCase(Locale.ROOT)),
                Columns.text(row, "detail"),
                Duration.ofMillis(Columns.millis(row, "duration_ms")),
                Columns.millis(row, "version"));
    }
}
