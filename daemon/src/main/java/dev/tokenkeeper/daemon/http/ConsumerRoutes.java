package dev.tokenkeeper.daemon.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.Consumer;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.daemon.access.ConsumerDirectory;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static dev.tokenkeeper.daemon.http.Requests.body;
import static dev.tokenkeeper.daemon.http.Requests.json;
import static dev.tokenkeeper.daemon.http.Requests.text;

/**
 * {@code /api/v1/consumers}: create (the token is answered once), list, revoke. Admin token only.
 *
 * @param consumers the consumers and their tokens
 */
record ConsumerRoutes(ConsumerDirectory consumers) implements RouteGroup {

    /** The answer to a creation, the only place the token ever appears. */
    record Created(String name, String token, List<String> credentials) {
        @Override
        public String toString() {
            return "Created[" + name + ", token hidden]";
        }
    }

    /** One consumer in the list. */
    record Listed(String name, List<String> credentials, Instant createdAt, Instant lastRead, long reads) {
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/api/v1/consumers", ctx -> {
            JsonNode body = body(ctx);
            String name = text(body, "name").orElseThrow(() -> new ApiException(400, "bad_request",
                    "body must be {\"name\": \"<consumer>\", \"credentials\": [\"<provider:account>\", ...]}"));
            List<CredentialId> ids = new ArrayList<>();
            JsonNode list = body.get("credentials");
            if (list == null || !list.isArray() || list.isEmpty()) {
                throw new ApiException(400, "bad_request", "credentials must be a non-empty list of credential ids");
            }
            for (JsonNode id : list) {
                ids.add(CredentialId.parse(id.asText()));
            }
            String token;
            try {
                token = directory().create(name, ids);
            } catch (ConsumerDirectory.NameTakenException e) {
                throw new ApiException(409, "conflict", e.getMessage());
            }
            ctx.status(201);
            json(ctx, new Created(name, token, ids.stream().map(CredentialId::toString).distinct().toList()));
        });
        routes.get("/api/v1/consumers", ctx -> json(ctx, directory().list().stream()
                .map(c -> new Listed(c.name(), c.credentials().stream().map(CredentialId::toString).toList(),
                        c.createdAt(), c.lastRead(), c.reads())).toList()));
        routes.delete("/api/v1/consumers/{name}", ctx -> revoke(ctx, ctx.pathParam("name")));
    }

    private void revoke(Context ctx, String name) {
        Consumer.checkName(name);
        if (!directory().revoke(name)) {
            throw new ApiException(404, "not_found", "no consumer named " + name + ": `tokenkeeper consumer list` shows them");
        }
        ctx.status(204);
    }

    private ConsumerDirectory directory() {
        if (consumers == null) {
            throw new ApiException(503, "unavailable", "this daemon was started without consumers");
        }
        return consumers;
    }
}
