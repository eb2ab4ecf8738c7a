package dev.tokenkeeper.store.supabase;

import dev.tokenkeeper.api.StoredCredential;
import java.util.LinkedHashMap;
import java.util.Map;

/** Rows as the Supabase store writes them, to seed {@link FakePostgrest} directly. */
final class SeedRows {

    private SeedRows() {
    }

    /** @return the credentials-table row the store writes for {@code credential} */
    static Map<String, Object> of(StoredCredential credential) {
        Map<String, Object> row = new LinkedHashMap<>();
        CredentialRows.row(credential).properties()
                .forEach(field -> row.put(field.getKey(), field.getValue().isNull() ? null
                        : field.getValue().isNumber() ? field.getValue().longValue() : field.getValue().asText()));
        return row;
    }
}
