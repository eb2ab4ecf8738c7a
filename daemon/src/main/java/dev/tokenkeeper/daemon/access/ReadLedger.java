package dev.tokenkeeper.daemon.access;

import dev.tokenkeeper.api.CredentialId;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** Who read which token version when, in this daemon's memory (for {@code consumer list} and the audit log). */
final class ReadLedger {

    private record Reader(AtomicLong reads, Map<CredentialId, Long> versions, AtomicReference<Instant> last) {
    }

    private final Map<String, Reader> readers = new ConcurrentHashMap<>();

    boolean record(String consumer, CredentialId id, long version, Instant at) {
        Reader reader = readers.computeIfAbsent(consumer,
                name -> new Reader(new AtomicLong(), new ConcurrentHashMap<>(), new AtomicReference<>()));
        reader.reads().incrementAndGet();
        reader.last().set(at);
        Long before = reader.versions().get(id);
        if (before != null && before == version) {
            return false;
        }
        return !Long.valueOf(version).equals(reader.versions().put(id, version));
    }

    Optional<Instant> lastRead(String consumer) {
        return Optional.ofNullable(readers.get(consumer)).map(reader -> reader.last().get());
    }

    long reads(String consumer) {
        Reader reader = readers.get(consumer);
        return reader == null ? 0 : reader.reads().get();
    }
}
