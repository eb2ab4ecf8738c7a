package dev.tokenkeeper.daemon.crypto;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The key that seals new secrets plus older keys that can still open what they sealed, so that
 * keys can rotate ({@code tokenkeeper rekey}) without losing stored secrets.
 *
 * @param current the key every new seal uses
 * @param retired keys kept for opening only; copied, without duplicates and without the current
 *                key's id, in the given order
 */
public record Keyring(MasterKey current, List<MasterKey> retired) {

    /** Checks for nulls and drops duplicate ids (the first one wins, the current key first). */
    public Keyring {
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(retired, "retired");
        Map<String, MasterKey> byId = new LinkedHashMap<>();
        for (MasterKey key : retired) {
            Objects.requireNonNull(key, "retired key");
            if (!key.id().equals(current.id())) {
                byId.putIfAbsent(key.id(), key);
            }
        }
        retired = List.copyOf(byId.values());
    }

    /**
     * @param current the only key
     * @return a keyring without retired keys
     */
    public static Keyring of(MasterKey current) {
        return new Keyring(current, List.of());
    }

    /**
     * @param id a key id as found in a sealed header
     * @return the current or retired key with that id
     */
    public Optional<MasterKey> byId(String id) {
        if (current.id().equals(id)) {
            return Optional.of(current);
        }
        return retired.stream().filter(key -> key.id().equals(id)).findFirst();
    }

    /**
     * @param next the key new seals will use
     * @return a keyring where {@code next} is current and the present current key is the newest
     *         retired one; this keyring itself when {@code next} already is current
     */
    public Keyring rotateTo(MasterKey next) {
        Objects.requireNonNull(next, "next");
        if (next.id().equals(current.id())) {
            return this;
        }
        List<MasterKey> older = new ArrayList<>(retired.size() + 1);
        older.add(current);
        older.addAll(retired);
        return new Keyring(next, older);
    }

    /** @return the ids of all keys, current first; not secret */
    public List<String> ids() {
        List<String> ids = new ArrayList<>(retired.size() + 1);
        ids.add(current.id());
        retired.forEach(key -> ids.add(key.id()));
        return List.copyOf(ids);
    }
}
