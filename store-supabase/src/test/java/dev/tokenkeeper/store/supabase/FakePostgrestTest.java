package dev.tokenkeeper.store.supabase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The fake speaks the PostgREST subset it documents, as raw HTTP: what the dist tests rely on. */
class FakePostgrestTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LEGACY_ROW = "{\"key\":\"gazelle_oauth_token\",\"value\":{\"access_token\":\"a1\","
            + "\"refresh_token\":\"r1\",\"expires_in\":2592000,\"created_at\":1740823200}}";

    private final FakePostgrest supabase = FakePostgrest.start();
    /**
     * A client of its own for every request: a pooled connection the server closes at the moment it
     * is reused fails a POST ("header parser received no bytes"), which the JDK client does not retry.
     */
    private static HttpClient http() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterEach
    void tearDown() {
        supabase.close();
    }

    private HttpResponse<String> callAs(String key, String method, String pathAndQuery, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(supabase.url() + pathAndQuery))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            request.header("apikey", key).header("Authorization", "Bearer " + key);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.setHeader(headers[i], headers[i + 1]);
        }
        return http().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> call(String method, String pathAndQuery, String body, String... headers)
            throws IOException, InterruptedException {
        return callAs(supabase.serviceKey(), method, pathAndQuery, body, headers);
    }

    @Test
    void upsertsAndReadsTheLegacySystemSettingsRow() throws Exception {
        String upsert = "/rest/v1/system_settings?on_conflict=key";
        HttpResponse<String> created = call("POST", upsert, LEGACY_ROW, "Prefer", "resolution=merge-duplicates");
        assertEquals(201, created.statusCode(), created.body());
        assertEquals("", created.body(), "return=minimal is the default");

        String rotated = LEGACY_ROW.replace("\"a1\"", "\"a2\"").replace("\"r1\"", "\"r2\"");
        HttpResponse<String> merged = call("POST", upsert, rotated, "Prefer",
                "resolution=merge-duplicates,return=representation");
        assertEquals(201, merged.statusCode());
        assertEquals("r2", JSON.readTree(merged.body()).get(0).get("value").get("refresh_token").asText());
        assertEquals(1, supabase.rows(FakePostgrest.SYSTEM_SETTINGS).size(), "upserted, not added");
        assertTrue(supabase.rows(FakePostgrest.SYSTEM_SETTINGS).get(0).get("updated_at").asText().endsWith("+00:00"));

        HttpResponse<String> read = call("GET", "/rest/v1/system_settings?key=eq.gazelle_oauth_token&select=value", null);
        assertEquals(200, read.statusCode());
        assertEquals(JSON.readTree("[{\"value\":" + JSON.readTree(rotated).get("value") + "}]"),
                JSON.readTree(read.body()));

        HttpResponse<String> duplicate = call("POST", "/rest/v1/system_settings", LEGACY_ROW);
        assertEquals(409, duplicate.statusCode());
        assertEquals("23505", JSON.readTree(duplicate.body()).get("code").asText());
    }

    @Test
    void answersAuthFailuresLikeSupabase() throws Exception {
        HttpResponse<String> noKey = callAs(null, "GET", "/rest/v1/system_settings", null);
        assertEquals(401, noKey.statusCode());
        assertEquals("No API key found in request", JSON.readTree(noKey.body()).get("message").asText());

        HttpResponse<String> wrongKey = callAs("nope", "GET", "/rest/v1/system_settings", null);
        assertEquals(401, wrongKey.statusCode());
        assertEquals("Invalid API key", JSON.readTree(wrongKey.body()).get("message").asText());

        HttpResponse<String> badJwt = callAs(supabase.serviceKey(), "GET", "/rest/v1/system_settings", null,
                "Authorization", "Bearer forged");
        assertEquals(401, badJwt.statusCode());
        JsonNode error = JSON.readTree(badJwt.body());
        assertEquals(List.of("code", "details", "hint", "message"), fieldNames(error));
        assertEquals("PGRST301", error.get("code").asText());
        assertTrue(badJwt.headers().firstValue("WWW-Authenticate").orElseThrow().contains("invalid_token"));

        HttpResponse<String> anon = callAs(supabase.anonKey(), "GET", "/rest/v1/tokenkeeper_credentials", null);
        assertEquals(401, anon.statusCode());
        assertEquals("42501", JSON.readTree(anon.body()).get("code").asText());

        HttpResponse<String> missing = call("GET", "/rest/v1/nothing_here", null);
        assertEquals(404, missing.statusCode());
        assertEquals("Could not find the table 'public.nothing_here' in the schema cache",
                JSON.readTree(missing.body()).get("message").asText());
    }

    @Test
    void conditionalPatchIsACompareAndSetAndFiltersAreTyped() throws Exception {
        supabase.insertRow(FakePostgrest.HISTORY, java.util.Map.of("credential_id", "gazelle:default", "at", 5,
                "outcome", "refreshed", "version", 1));
        String where = "/rest/v1/tokenkeeper_refresh_history?credential_id=eq.gazelle%3Adefault&version=eq.1&select=id";
        String change = "{\"version\":2}";

        HttpResponse<String> first = call("PATCH", where, change, "Prefer", "return=representation");
        HttpResponse<String> second = call("PATCH", where, change, "Prefer", "return=representation");
        assertEquals(200, first.statusCode());
        assertEquals("[{\"id\":1}]", first.body());
        assertEquals("[]", second.body(), "the second writer sees no row");
        assertEquals(204, call("PATCH", where, change).statusCode());
        assertEquals(3, supabase.patchCount());

        String or = URLEncoder.encode("(detail.eq.\"a,b\",at.lt.3)", StandardCharsets.UTF_8);
        assertEquals("[]", call("GET", "/rest/v1/tokenkeeper_refresh_history?select=id&or=" + or, null).body());
        assertEquals("22P02", JSON.readTree(call("GET", "/rest/v1/tokenkeeper_refresh_history?at=lt.soon", null)
                .body()).get("code").asText());
        assertEquals("42703", JSON.readTree(call("GET", "/rest/v1/tokenkeeper_refresh_history?nope=eq.1", null)
                .body()).get("code").asText());
        assertEquals("PGRST204", JSON.readTree(call("PATCH", "/rest/v1/tokenkeeper_refresh_history?id=eq.1",
                "{\"nope\":1}").body()).get("code").asText());
    }

    @Test
    void downRefusesConnectionsAndComesBackOnTheSamePort() throws Exception {
        supabase.insertRow(FakePostgrest.SYSTEM_SETTINGS, java.util.Map.of("key", "k", "value", List.of(1)));
        supabase.down(true);
        assertThrows(ConnectException.class, () -> call("GET", "/rest/v1/system_settings", null));
        supabase.down(false);
        assertEquals("[{\"key\":\"k\",\"value\":[1]}]",
                call("GET", "/rest/v1/system_settings?select=key,value", null).body());
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
