package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.util.List;

/** Makes consumers through the control API, as {@code tokenkeeper consumer add} does. */
public final class ConsumerTokens {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ConsumerTokens() {
    }

    /**
     * Creates a consumer and checks the answer: its name, its credentials, a long random {@code tkc_} token.
     *
     * @param daemon      the daemon
     * @param name        the consumer's name
     * @param credentials the credentials it may read
     * @return its token (shown this once)
     */
    public static String add(TokenkeeperExtension daemon, String name, String... credentials) {
        ObjectNode body = JSON.createObjectNode().put("name", name);
        body.putArray("credentials").addAll(List.of(credentials).stream().map(JSON.getNodeFactory()::textNode).toList());
        HttpResponse<String> created = daemon.call("POST", "/api/v1/consumers", body.toString());
        if (created.statusCode() != 201 && created.statusCode() != 200) {
            throw new AssertionError("consumer add " + name + ": HTTP " + created.statusCode() + " " + created.body());
        }
        JsonNode answer;
        try {
            answer = JSON.readTree(created.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> granted = JSON.convertValue(answer.path("credentials"), JSON.getTypeFactory()
                .constructCollectionType(List.class, String.class));
        String token = answer.path("token").asText();
        if (!answer.path("name").asText().equals(name) || !granted.equals(List.of(credentials))
                || !token.startsWith("tkc_") || token.length() <= 40) {
            throw new AssertionError("consumer add " + name + " answered " + ((ObjectNode) answer.deepCopy()).put("token", "<hidden>"));
        }
        return token;
    }
}
