package dev.tokenkeeper.api;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The secret part of a credential, as named fields that only its provider interprets (for example
 * {@code access_token} and {@code refresh_token}, or one field per session cookie).
 *
 * <p>The daemon never logs or prints this: {@link #toString()} names the fields but not their values.
 * Stores never see it either; they keep only the sealed bytes the daemon hands them.
 *
 * @param fields field name to value; copied and kept in name order
 */
public record SecretMaterial(Map<String, String> fields) {

    /** Copies the fields into an unmodifiable map sorted by name (no null names or values). */
    public SecretMaterial {
        Objects.requireNonNull(fields, "fields");
        TreeMap<String, String> sorted = new TreeMap<>();
        fields.forEach((name, value) -> sorted.put(name, Objects.requireNonNull(value, "a field's value")));
        fields = Collections.unmodifiableSortedMap(sorted);
    }

    /**
     * @param name a field name
     * @return the field's value, if present
     */
    public Optional<String> field(String name) {
        return Optional.ofNullable(fields.get(name));
    }

    /**
     * @param name a field name
     * @return the field's value
     * @throws IllegalStateException when the field is missing (names the field, never a value)
     */
    public String require(String name) {
        String value = fields.get(name);
        if (value == null) {
            throw new IllegalStateException("secret material has no field '" + name + "'");
        }
        return value;
    }

    /**
     * @param name  a field name
     * @param value its new value
     * @return a copy with that field set
     */
    public SecretMaterial with(String name, String value) {
        return with(Map.of(name, value));
    }

    /**
     * @param changed field names and their new values
     * @return a copy with those fields set, the others as they were
     */
    public SecretMaterial with(Map<String, String> changed) {
        Map<String, String> copy = new HashMap<>(fields);
        copy.putAll(changed);
        return new SecretMaterial(copy);
    }

    /** @return the field names only, never the values */
    @Override
    public String toString() {
        return "SecretMaterial" + fields.keySet() + " (values hidden)";
    }
}
