package dev.tokenkeeper.daemon.notify;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.daemon.sink.AtomicFile;
import org.tinylog.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code <state>/notifications.json}: the last event per credential and the deliveries not yet
 * settled, so that a restart neither raises an event again nor forgets one still owed. Written
 * atomically; holds no secret (events never do).
 */
final class NotifyStateFile {

    /**
     * A delivery still owed.
     *
     * @param channel the channel's name
     * @param event   the event
     */
    record Owed(String channel, Notification event) {
    }

    /**
     * What the file holds.
     *
     * @param memories per credential
     * @param owed     deliveries not yet settled
     */
    record Contents(Map<CredentialId, SituationTracker.Memory> memories, List<Owed> owed) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path file;

    NotifyStateFile(Path file) {
        this.file = file;
    }

    Contents read() {
        if (!Files.exists(file)) {
            return new Contents(Map.of(), List.of());
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            Map<CredentialId, SituationTracker.Memory> memories = new HashMap<>();
            root.path("credentials").properties().forEach(entry -> {
                try {
                    memories.put(CredentialId.parse(entry.getKey()),
                            JSON.treeToValue(entry.getValue(), SituationTracker.Memory.class));
                } catch (IOException | IllegalArgumentException e) {
                    Logger.warn("{}: entry of {} unreadable, forgotten", file, entry.getKey());
                }
            });
            List<Owed> owed = new ArrayList<>();
            for (JsonNode node : root.path("owed")) {
                try {
                    owed.add(new Owed(node.path("channel").asText(), Notification.fromJson(node.path("event"))));
                } catch (RuntimeException e) {
                    Logger.warn("{}: an owed delivery is unreadable, dropped", file);
                }
            }
            return new Contents(memories, owed);
        } catch (IOException e) {
            Logger.warn("{} is unreadable ({}); starting without notification memory: events already sent may be sent again",
                    file, e.getClass().getSimpleName());
            return new Contents(Map.of(), List.of());
        }
    }

    void write(Map<CredentialId, SituationTracker.Memory> memories, List<Owed> owed) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode credentials = root.putObject("credentials");
        memories.entrySet().stream().sorted(Map.Entry.comparingByKey(Comparator.comparing(CredentialId::toString)))
                .forEach(entry -> credentials.set(entry.getKey().toString(), JSON.valueToTree(entry.getValue())));
        ArrayNode list = root.putArray("owed");
        owed.forEach(entry -> {
            ObjectNode node = list.addObject();
            node.put("channel", entry.channel());
            node.set("event", entry.event().toJson());
        });
        try {
            AtomicFile.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root),
                    PosixFilePermissions.fromString("rw-------"), Optional.empty());
        } catch (IOException e) {
            Logger.warn("could not write {} ({}): after a restart an event may be sent twice", file, e.getClass().getSimpleName());
        }
    }
}
