package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.AccountSecret;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.store.AccountSecrets;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import dev.tokenkeeper.provider.vinted.VintedProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CookieCloud receiver (issue 25 must-show 2) on the harness with the Vinted imitation: uploads
 * encrypted by the real {@code crypto-js} ({@link CryptoJs}, run with Node) in both of the extension's
 * encryptions are imported and refreshed at once; a wrong password, an older session, a replayed
 * upload, a foreign uuid, no or a wrong importer token, a 10 MB body, a body that is not gzip, and
 * too many uploads are each refused or ignored with their answer, and nothing is stored (the
 * credential's row and the imitation's refresh count are checked). Every test ends by looking for
 * every secret issued (the imitation's cookies, the uuid's password, the importer token, the other
 * sites' cookies of the upload) in the daemon's log and in every answer.
 */
class CookieCloudInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UUID = "kX3v9QpR7tLmW2sB8nYc4a";
    private static final String PASSWORD = "SECRET-CC-PASSWORD-7f3a";
    private static final String OTHER_SITE_COOKIE = "SECRET-OTHER-SITE-COOKIE-55e1";
    private static final String LOCAL_STORAGE = "SECRET-LOCAL-STORAGE-91c0";
    private static final CredentialId SHOP = CredentialId.parse("vinted:shop");

    private static CryptoJs js;

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeVinted vinted = FakeVinted.builder().clock(clock).burstLimit(10_000, Duration.ofMinutes(5)).start();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final List<String> texts = new ArrayList<>();
    private final List<String> secrets = new ArrayList<>(List.of(PASSWORD, OTHER_SITE_COOKIE, LOCAL_STORAGE));

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new VintedProvider()).clock(clock)
            .settings(Map.of("VINTED_BASE_URL", vinted.baseUrl(), "VINTED_MAX_REQUESTS_PER_5_MIN", "1000"));

    @BeforeAll
    static void installCryptoJs() throws Exception {
        js = CryptoJs.installed();
    }

    @AfterEach
    void lookForSecretsAndClose() {
        try {
            texts.add(daemon.log());
            List<String> all = new ArrayList<>(secrets);
            all.addAll(vinted.allIssuedSecrets());
            for (String text : texts) {
                for (String secret : all) {
                    assertFalse(text.contains(secret), "a secret reached the log or an answer: " + text);
                }
            }
        } finally {
            vinted.close();
        }
    }

    @Test
    void uploadsOfBothEncryptionsAreImportedAndRefreshedAtOnce() throws Exception {
        String token = link(SHOP, UUID, PASSWORD);
        String browser = vinted.newSession();
        int refreshes = vinted.refreshCount();

        HttpResponse<String> first = upload(token, gzip(envelope(UUID, js.legacy(content(browser), UUID, PASSWORD),
                "legacy")), true);

        assertDone(first, "imported");
        assertEquals(refreshes + 1, vinted.refreshCount(), "refreshed at once: the daemon owns the chain");
        StoredCredential held = stored(SHOP).orElseThrow();
        assertEquals("active", held.status().name().toLowerCase(), held.toString());
        String served = token(SHOP);
        assertFalse(browser.contains(served), "the token served is the refreshed one, not the browser's");
        assertEquals(List.of("cookie.access_token_web", "cookie.refresh_token_web"), daemon.assembly().pipeline()
                        .open(held).secret().fields().keySet().stream().filter(f -> f.contains("token")).sorted().toList(),
                "the Vinted session's cookies are held");
        assertTrue(daemon.assembly().pipeline().open(held).secret().fields().keySet().stream()
                .noneMatch(f -> f.contains("other")), "no other site's cookie is held");

        // Later the user logs in again in the browser: a newer session, in the fixed-IV encryption.
        clock.advance(Duration.ofMinutes(30));
        String newer = vinted.newSession();
        HttpResponse<String> second = upload(token, gzip(envelope(UUID, js.fixed(content(newer), UUID, PASSWORD),
                "aes-128-cbc-fixed")), true);

        assertDone(second, "imported");
        assertEquals(refreshes + 2, vinted.refreshCount(), "the newer session replaced the held one and was refreshed");
        assertTrue(stored(SHOP).orElseThrow().version() > held.version());
        assertNotEquals(served, token(SHOP));
    }

    @Test
    void anOlderSessionAReplayedUploadAndAWrongPasswordChangeNothing() throws Exception {
        String token = link(SHOP, UUID, PASSWORD);
        String older = vinted.newSession();
        String olderUpload = envelope(UUID, js.legacy(content(older), UUID, PASSWORD), "legacy");
        clock.advance(Duration.ofMinutes(10));
        String newer = vinted.newSession();
        byte[] newerUpload = gzip(envelope(UUID, js.legacy(content(newer), UUID, PASSWORD), "legacy"));
        assertDone(upload(token, newerUpload, true), "imported");
        StoredCredential held = stored(SHOP).orElseThrow();
        int refreshes = vinted.refreshCount();

        assertDone(upload(token, gzip(olderUpload), true), "ignored: the browser's session", "older");
        assertDone(upload(token, gzip(olderUpload), true), "ignored: the same upload as the last one", "replayed");
        assertDone(upload(token, newerUpload, true), "ignored: the browser's session", "the imported one again: equal,"
                + " and older than the chain the daemon refreshed since");
        assertDone(upload(token, olderUpload.getBytes(StandardCharsets.UTF_8), false), "ignored",
                "plain JSON without Content-Encoding is taken too");
        HttpResponse<String> wrong = upload(token, gzip(envelope(UUID, js.legacy(content(vinted.newSession()), UUID,
                "SECRET-WRONG-PASSWORD"), "legacy")), true);
        secrets.add("SECRET-WRONG-PASSWORD");
        assertEquals(400, wrong.statusCode(), wrong.body());
        assertTrue(wrong.body().contains("undecryptable") && wrong.body().contains("password"), wrong.body());

        assertEquals(held, stored(SHOP).orElseThrow(), "the held session is untouched");
        assertEquals(refreshes, vinted.refreshCount(), "nothing was refreshed");
        assertTrue(daemon.log().contains("cookiecloud: an upload for vinted:shop was ignored"), daemon.log());
    }

    @Test
    void foreignUuidsMissingOrWrongTokensAndMalformedOrHugeBodiesAreRefusedAndStoreNothing() throws Exception {
        String token = link(SHOP, UUID, PASSWORD);
        String session = vinted.newSession();
        byte[] good = gzip(envelope(UUID, js.legacy(content(session), UUID, PASSWORD), "legacy"));
        String foreignUuid = "SomeoneElsesUuid0000";

        HttpResponse<String> foreign = upload(token, gzip(envelope(foreignUuid, js.legacy(content(session), foreignUuid,
                PASSWORD), "legacy")), true);
        assertEquals(404, foreign.statusCode(), foreign.body());
        assertFalse(foreign.body().contains(foreignUuid) || foreign.body().contains("vinted"), "nothing more: " + foreign.body());

        HttpResponse<String> none = upload(null, good, true);
        assertEquals(401, none.statusCode(), none.body());
        assertTrue(none.body().contains("Authorization:Bearer"), none.body());
        HttpResponse<String> wrongToken = upload("tkc_" + "A".repeat(43), good, true);
        assertEquals(403, wrongToken.statusCode(), wrongToken.body());
        HttpResponse<String> adminToken = upload(daemon.adminToken(), good, true);
        assertEquals(403, adminToken.statusCode(), "the admin token imports nothing either: " + adminToken.body());

        int hugeStatus;
        try {
            hugeStatus = upload(token, new byte[10 * 1024 * 1024], true).statusCode();
        } catch (IOException closedEarly) {
            // The daemon answers 413 from the head and closes without reading 10 MB; a client still
            // sending then sees the connection end (as HostileInputInProcessTest's 10 MB body does).
            hugeStatus = 413;
        }
        assertEquals(413, hugeStatus, "a 10 MB upload");
        HttpResponse<String> notGzip = upload(token, envelope(UUID, "x", "legacy").getBytes(StandardCharsets.UTF_8), true);
        assertEquals(400, notGzip.statusCode(), notGzip.body());
        assertTrue(notGzip.body().contains("gzip"), notGzip.body());
        HttpResponse<String> notJson = upload(token, gzip("uuid=" + UUID), true);
        assertEquals(400, notJson.statusCode(), notJson.body());
        assertTrue(notJson.body().contains("JSON"), notJson.body());
        HttpResponse<String> bomb = upload(token, gzip("{\"uuid\":\"" + " ".repeat(3 * 1024 * 1024) + "\"}"), true);
        assertEquals(413, bomb.statusCode(), "a body that inflates past the cap: " + bomb.body());

        assertEquals(Optional.empty(), stored(SHOP), "nothing was imported");
        assertEquals(0, vinted.refreshCount());
        assertEquals(1, accountSecrets().accountSecrets().size(), "the link alone is stored");

        // The same good upload is then taken: the refusals cost nothing.
        assertDone(upload(token, good, true), "imported");
    }

    @Test
    void aLinkTakesAtMostItsRateOfUploads() throws Exception {
        String token = link(SHOP, UUID, PASSWORD);
        byte[] upload = gzip(envelope(UUID, js.legacy(content(vinted.newSession()), UUID, PASSWORD), "legacy"));
        for (int i = 0; i < 10; i++) {
            assertDone(upload(token, upload, true), i == 0 ? "imported" : "ignored: the same upload");
        }
        HttpResponse<String> refused = upload(token, upload, true);
        assertEquals(429, refused.statusCode(), refused.body());
        assertTrue(refused.headers().firstValue("Retry-After").isPresent());
        clock.advance(Duration.ofMinutes(11));
        assertEquals(200, upload(token, upload, true).statusCode(), "the window has passed");
        assertEquals(1, vinted.refreshCount(), "the first upload alone was imported and refreshed");
    }

    @Test
    void linksAreListedWithoutSecretsAndUnlinkingStopsTheToken() throws Exception {
        String token = link(SHOP, UUID, PASSWORD);
        HttpResponse<String> list = daemon.call("GET", "/api/v1/cookiecloud", null);
        texts.add(list.body());
        assertEquals(200, list.statusCode(), list.body());
        assertEquals("vinted:shop", JSON.readTree(list.body()).path(0).path("credential").asText(), list.body());
        assertTrue(JSON.readTree(list.body()).path(0).path("authenticated").asBoolean());
        assertFalse(list.body().contains(UUID) || list.body().contains(token), list.body());
        AccountSecret row = accountSecrets().accountSecret(SHOP, "cookiecloud").orElseThrow();
        assertFalse(new String(row.sealed().bytes(), StandardCharsets.ISO_8859_1).contains(UUID), "the uuid is sealed");

        HttpResponse<String> unknown = daemon.call("POST", "/api/v1/cookiecloud",
                JSON.createObjectNode().put("credential", "nosuch:x").put("uuid", UUID).put("password", PASSWORD).toString());
        texts.add(unknown.body());
        assertTrue(unknown.statusCode() >= 400, unknown.body());

        assertEquals(204, daemon.call("DELETE", "/api/v1/cookiecloud/vinted:shop", null).statusCode());
        assertEquals(404, daemon.call("DELETE", "/api/v1/cookiecloud/vinted:shop", null).statusCode());
        byte[] good = gzip(envelope(UUID, js.legacy(content(vinted.newSession()), UUID, PASSWORD), "legacy"));
        assertEquals(403, upload(token, good, true).statusCode(), "an unlinked token imports nothing");
    }

    /** Links an account through the API as {@code tokenkeeper cookiecloud link} does; returns the importer token. */
    private String link(CredentialId id, String uuid, String password) throws IOException {
        HttpResponse<String> linked = daemon.call("POST", "/api/v1/cookiecloud", JSON.createObjectNode()
                .put("credential", id.toString()).put("uuid", uuid).put("password", password).toString());
        assertEquals(201, linked.statusCode(), linked.body());
        JsonNode answer = JSON.readTree(linked.body());
        assertEquals("http://127.0.0.1:" + daemon.port() + "/cookiecloud", answer.path("server").asText());
        String header = answer.path("header").asText();
        assertTrue(header.startsWith("Authorization:Bearer tkc_"), "the header line to paste: " + header.length());
        String token = header.substring("Authorization:Bearer ".length());
        secrets.add(token);
        return token;
    }

    /** What the extension encrypts: the Vinted cookies under its keyword, another site's, local storage. */
    private String content(String cookieHeader) throws IOException {
        ObjectNode content = JSON.createObjectNode();
        ObjectNode cookies = content.putObject("cookie_data");
        cookies.set("vinted", JSON.readTree(vinted.jsonExport(cookieHeader)));
        ArrayNode other = cookies.putArray("example.com");
        other.addObject().put("name", "other_session").put("value", OTHER_SITE_COOKIE).put("domain", ".example.com");
        content.putObject("local_storage_data").putObject("www.vinted.fr").put("token", LOCAL_STORAGE);
        content.put("update_time", clock.instant().toString());
        return content.toString();
    }

    private static String envelope(String uuid, String encrypted, String cryptoType) {
        return JSON.createObjectNode().put("uuid", uuid).put("encrypted", encrypted).put("crypto_type", cryptoType)
                .toString();
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }

    /** Posts as the extension does: its header line, the body gzip'd with Content-Encoding: gzip. */
    private HttpResponse<String> upload(String token, byte[] body, boolean gzipHeader) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(daemon.baseUri().resolve("/cookiecloud/update"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (gzipHeader) {
            request.header("Content-Encoding", "gzip");
        }
        HttpResponse<String> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        texts.add(answer.body());
        return answer;
    }

    private void assertDone(HttpResponse<String> answer, String tokenkeeperSays) throws IOException {
        assertDone(answer, tokenkeeperSays, "");
    }

    private void assertDone(HttpResponse<String> answer, String tokenkeeperSays, String why) throws IOException {
        assertEquals(200, answer.statusCode(), answer.body());
        JsonNode body = JSON.readTree(answer.body());
        assertEquals("done", body.path("action").asText(), "the extension counts only this as done: " + answer.body());
        assertTrue(body.path("tokenkeeper").asText().startsWith(tokenkeeperSays), why + " " + answer.body());
    }

    private Optional<StoredCredential> stored(CredentialId id) {
        return daemon.assembly().store().get(id);
    }

    private AccountSecrets accountSecrets() {
        return daemon.assembly().store().capability(AccountSecrets.class).orElseThrow();
    }

    private String token(CredentialId id) throws IOException {
        return JSON.readTree(daemon.call("GET", "/api/v1/credentials/" + id + "/token", null).body()).path("token").asText();
    }
}
