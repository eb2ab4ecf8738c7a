package dev.tokenkeeper.daemon.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.daemon.cookiecloud.CookieCloudLinks;
import dev.tokenkeeper.daemon.cookiecloud.UploadReceiver;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

import static dev.tokenkeeper.daemon.http.Requests.body;
import static dev.tokenkeeper.daemon.http.Requests.error;
import static dev.tokenkeeper.daemon.http.Requests.json;
import static dev.tokenkeeper.daemon.http.Requests.text;

/**
 * The CookieCloud receiver: {@code POST /cookiecloud/update}, where the browser extension uploads
 * (gzip or plain JSON {@code {"uuid","encrypted","crypto_type"}}, answered {@code {"action":"done"}}),
 * with the importer token of a link as its bearer; and {@code /api/v1/cookiecloud} (admin token):
 * link, list, unlink. The body is read under the API's cap ({@link ControlApi#MAX_BODY_BYTES}, 413
 * before a byte of a larger declared body is read) and inflates to at most {@link #MOST_INFLATED_BYTES}.
 *
 * @param links    the links
 * @param receiver what takes an upload
 */
public record CookieCloudRoutes(CookieCloudLinks links, UploadReceiver receiver) implements RouteGroup {

    /** The path the extension's server address points at ({@code <server>/update}). */
    static final String PREFIX = "/cookiecloud";
    /** The most an upload may inflate to: a gzip bomb stops here. */
    static final int MOST_INFLATED_BYTES = 1024 * 1024;

    /** The answer to a link, the only place the importer token ever appears. */
    record Linked(String credential, String server, String header) {
        @Override
        public String toString() {
            return "Linked[" + credential + ", token hidden]";
        }
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post(PREFIX + "/update", this::update);
        routes.post("/api/v1/cookiecloud", ctx -> {
            JsonNode body = body(ctx);
            CredentialId id = CredentialId.parse(text(body, "credential").orElseThrow(() -> new ApiException(400,
                    "bad_request", "body must be {\"credential\": \"<provider:account>\", \"uuid\": \"...\","
                    + " \"password\": \"...\"}")));
            CookieCloudLinks.unsupported(links.store()).ifPresent(why -> {
                throw new ApiException(409, "unsupported", why);
            });
            String token = links.link(id, text(body, "uuid").orElse(null), text(body, "password").orElse(null));
            ctx.status(201);
            json(ctx, new Linked(id.toString(), ctx.scheme() + "://" + ctx.host() + PREFIX, "Authorization:Bearer " + token));
        });
        routes.get("/api/v1/cookiecloud", ctx -> json(ctx, links.list().stream().map(link -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("credential", link.credential().toString());
            row.put("createdAt", link.createdAt());
            row.put("authenticated", link.authenticated());
            return row;
        }).toList()));
        routes.delete("/api/v1/cookiecloud/{id}", ctx -> {
            CredentialId id = Requests.id(ctx);
            if (!links.unlink(id)) {
                throw new ApiException(404, "not_found", "no CookieCloud link for " + id
                        + ": `tokenkeeper cookiecloud list` shows them");
            }
            ctx.status(204);
        });
    }

    private void update(Context ctx) {
        String header = Optional.ofNullable(ctx.header("Authorization")).orElse("");
        String presented = header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        if (presented.isEmpty()) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiException(401, "unauthorized", "no importer token: add the header line `Authorization:Bearer"
                    + " tkc_...` that `tokenkeeper cookiecloud link` printed to the extension's request headers");
        }
        CookieCloudLinks.Link link = links.byToken(presented).orElseThrow(() -> new ApiException(403, "forbidden",
                "this token imports nothing: use the header line of the account's current link"
                        + " (`tokenkeeper cookiecloud link` again makes a new one)"));
        UploadReceiver.Upload upload = upload(ctx);
        UploadReceiver.Outcome outcome = receiver.receive(link, upload);
        if (outcome instanceof UploadReceiver.Outcome.Imported || outcome instanceof UploadReceiver.Outcome.Ignored) {
            // The extension counts an upload as done only on this answer, and sends it again otherwise:
            // an older session is the normal case once tokenkeeper owns the chain, so it is done too.
            Map<String, String> answer = new LinkedHashMap<>();
            answer.put("action", "done");
            answer.put("tokenkeeper", outcome.message());
            json(ctx, answer);
        } else if (outcome instanceof UploadReceiver.Outcome.UnknownUuid) {
            error(ctx, 404, "not_found", "not found");
        } else if (outcome instanceof UploadReceiver.Outcome.TooMany many) {
            ctx.header("Retry-After", Long.toString(Math.max(1, many.retryAfter().toSeconds())));
            error(ctx, 429, "too_many_uploads", outcome.message());
        } else {
            error(ctx, 400, "undecryptable", outcome.message());
        }
    }

    private static UploadReceiver.Upload upload(Context ctx) {
        byte[] raw = ctx.bodyAsBytes();
        boolean gzip = "gzip".equalsIgnoreCase(Optional.ofNullable(ctx.header("Content-Encoding")).orElse("").strip())
                || raw.length >= 2 && (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b;
        String text = gzip ? inflate(raw) : new String(raw, StandardCharsets.UTF_8);
        if (!text.stripLeading().startsWith("{")) {
            throw new ApiException(400, "bad_request", "the body is neither gzip nor a JSON object: the extension sends"
                    + " {\"uuid\", \"encrypted\", \"crypto_type\"}, gzip'd with Content-Encoding: gzip");
        }
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new ApiException(400, "bad_json", "the body is not valid JSON: the extension sends"
                    + " {\"uuid\", \"encrypted\", \"crypto_type\"}");
        }
        String uuid = text(body, "uuid").orElse(null);
        String encrypted = text(body, "encrypted").orElse(null);
        if (uuid == null || encrypted == null) {
            throw new ApiException(400, "bad_request", "the body needs uuid and encrypted (and crypto_type): is this"
                    + " the CookieCloud extension?");
        }
        return new UploadReceiver.Upload(uuid, encrypted, text(body, "crypto_type").orElse(null));
    }

    private static String inflate(byte[] raw) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
            byte[] inflated = in.readNBytes(MOST_INFLATED_BYTES + 1);
            if (inflated.length > MOST_INFLATED_BYTES) {
                throw new ApiException(413, "too_large", "the upload inflates to more than " + MOST_INFLATED_BYTES
                        + " bytes: set the extension's domain keyword to the site's name so it sends that site's cookies only");
            }
            return new String(inflated, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ApiException(400, "bad_request", "the body is not valid gzip though it says so (Content-Encoding:"
                    + " gzip): send it gzip'd, or as plain JSON without that header");
        }
    }
}
