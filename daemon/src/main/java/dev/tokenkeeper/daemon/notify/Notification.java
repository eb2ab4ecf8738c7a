package dev.tokenkeeper.daemon.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.Optional;

/**
 * One event for a human. Carries ids, status words, times and one-line reasons only: never a
 * token, a cookie or any other secret (the reasons are the pipeline's {@code lastError}, which is
 * secret-free by contract).
 *
 * @param id               unique per event, for receivers that deduplicate
 * @param event            what happened
 * @param credential       the credential id ({@code provider:account}), or empty for a test
 * @param provider         the provider id
 * @param account          the account
 * @param status           the credential's status word
 * @param reason           why, one line
 * @param command          the exact command a human should run, if any
 * @param accessExpiresAt  when the access token expires, if known
 * @param refreshExpiresAt when the refresh-token chain ends, if known
 * @param at               when the event was raised
 * @param host             the daemon's host name
 * @param text             one human line saying all of the above
 */
public record Notification(String id, EventKind event, String credential, String provider, String account, String status,
                           String reason, Optional<String> command, Optional<Instant> accessExpiresAt,
                           Optional<Instant> refreshExpiresAt, Instant at, String host, String text) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The generic body: every field, plus {@code content} (the same line as {@code text}) so that
     * Discord takes it as it is; Slack and Mattermost read {@code text} and ignore the rest.
     *
     * @return the JSON body
     */
    public ObjectNode toJson() {
        ObjectNode json = JSON.createObjectNode();
        json.put("id", id);
        json.put("event", event.wireName());
        json.put("credential", credential);
        json.put("provider", provider);
        json.put("account", account);
        json.put("status", status);
        json.put("reason", reason);
        command.ifPresent(value -> json.put("command", value));
        accessExpiresAt.ifPresent(value -> json.put("accessExpiresAt", value.toString()));
        refreshExpiresAt.ifPresent(value -> json.put("refreshExpiresAt", value.toString()));
        json.put("at", at.toString());
        json.put("host", host);
        json.put("text", text);
        json.put("content", text.length() > 2000 ? text.substring(0, 1997) + "..." : text);
        return json;
    }

    /**
     * @param json a body written by {@link #toJson()}
     * @return the notification
     */
    public static Notification fromJson(JsonNode json) {
        return new Notification(json.path("id").asText(), EventKind.fromWire(json.path("event").asText()),
                json.path("credential").asText(), json.path("provider").asText(), json.path("account").asText(),
                json.path("status").asText(), json.path("reason").asText(), text(json, "command"),
                text(json, "accessExpiresAt").map(Instant::parse), text(json, "refreshExpiresAt").map(Instant::parse),
                Instant.parse(json.path("at").asText()), json.path("host").asText(), json.path("text").asText());
    }

    private static Optional<String> text(JsonNode json, String field) {
        JsonNode node = json.get(field);
        return node == null || node.isNull() ? Optional.empty() : Optional.of(node.asText());
    }

    /** @return the kind and credential only */
    @Override
    public String toString() {
        return event.wireName() + " " + credential + " (" + id + ")";
    }
}
