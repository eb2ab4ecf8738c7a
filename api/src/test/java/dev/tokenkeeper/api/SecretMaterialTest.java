package dev.tokenkeeper.api;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The material's map: a copy in name order that nobody changes, and copies with fields set. */
class SecretMaterialTest {

    @Test
    void fieldsAreKeptInNameOrder() {
        Map<String, String> given = new HashMap<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String name = "field-" + (char) ('a' + i % 26) + i;
            given.put(name, "v" + i);
            names.add(name);
        }
        names.sort(null);
        SecretMaterial material = new SecretMaterial(given);
        assertEquals(names, new ArrayList<>(material.fields().keySet()));
        assertEquals(names, new ArrayList<>(material.with("field-a0", "changed").fields().keySet()));
    }

    @Test
    void theMapIsACopyNobodyChanges() {
        Map<String, String> given = new HashMap<>(Map.of("access_token", "a1"));
        SecretMaterial material = new SecretMaterial(given);
        given.put("refresh_token", "r1");
        assertEquals(Map.of("access_token", "a1"), material.fields());
        assertThrows(UnsupportedOperationException.class, () -> material.fields().put("x", "y"));
    }

    @Test
    void withSetsTheNamedFieldsAndKeepsTheOthers() {
        SecretMaterial material = new SecretMaterial(Map.of("access_token", "a1", "refresh_token", "r1", "token_type", "bearer"));
        SecretMaterial next = material.with(Map.of("access_token", "a2", "refresh_token", "r2", "scope", "read"));
        assertEquals(Map.of("access_token", "a2", "refresh_token", "r2", "token_type", "bearer", "scope", "read"),
                next.fields());
        assertEquals(Map.of("access_token", "a1", "refresh_token", "r1", "token_type", "bearer"), material.fields());
        assertEquals(material.with("access_token", "a2"), material.with(Map.of("access_token", "a2")));
    }

    @Test
    void aMissingNameOrValueIsRefused() {
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("access_token", null);
        assertThrows(NullPointerException.class, () -> new SecretMaterial(nullValue));
        Map<String, String> nullName = new HashMap<>();
        nullName.put(null, "a1");
        assertThrows(NullPointerException.class, () -> new SecretMaterial(nullName));
        assertThrows(NullPointerException.class, () -> new SecretMaterial(Map.of("a", "1")).with("b", null));
    }

    @Test
    void toStringNamesTheFieldsButNoValue() {
        String text = new SecretMaterial(Map.of("refresh_token", "r-secret-1", "access_token", "a-secret-1")).toString();
        assertEquals("SecretMaterial[access_token, refresh_token] (values hidden)", text);
        assertFalse(text.contains("secret-1"));
    }
}
