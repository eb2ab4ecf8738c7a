package dev.tokenkeeper.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.TokenStore;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import dev.tokenkeeper.provider.gazelle.GazelleProvider;
import dev.tokenkeeper.testkit.NotificationInbox;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The parts that look at every credential read the store a page at a time (issue 26: memory must not
 * grow with the number of credentials): the notification check, the file sink's writes at start and
 * its catch-up, the list route and the console's overview (in pages, with a link to the next), a
 * rekey and the report. A SQLite store of 1,201 credentials (more than two pages of each part) under
 * {@link CountingStore}: after the restart over them no part but the scheduler's in-memory plan (kept
 * for SQLite) reads the whole table, and no read asks for more than a page. Each part is shown to reach
 * the last page: a credential there needing a human is notified, the sink writes every active one and
 * removes the files of credentials deleted behind its back, the list's pages add up to the store.
 */
class PagedReadsInProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int STORED = 1_200;
    /** Near the end of the walk, on its third page of 500. */
    private static final CredentialId NEEDS_HUMAN = id(1_150);
    /** The largest page any part asks for: the list route's 1,000 and one to know of a next page. */
    private static final int LARGEST_PAGE = 1_001;

    private static final MutableClock CLOCK = MutableClock.startingNow();
    private static final FakeGazelle GAZELLE = FakeGazelle.start().clock(CLOCK).accessLifetime(Duration.ofHours(1));
    private static final NotificationInbox INBOX = new NotificationInbox();
    private static final AtomicReference<CountingStore> STORE = new AtomicReference<>();
    private static final AtomicReference<Path> SINK = new AtomicReference<>();

    @RegisterExtension
    static final TokenkeeperExtension DAEMON = TokenkeeperExtension.withProvider(new GazelleProvider()).clock(CLOCK)
            .settings(GAZELLE.settings())
            .setting("TOKENKEEPER_SQLITE_SYNCHRONOUS", "NORMAL")
            .setting("TOKENKEEPER_NOTIFY_URL", INBOX.url())
            .setting("TOKENKEEPER_SINK_DIR", sink().toString())
            .setting("TOKENKEEPER_SINK_SYNC_SECONDS", "0.2")
            .store(() -> {
                CountingStore counting = new CountingStore();
                STORE.set(counting);
                return counting;
            });

    private static final List<String> ISSUED = new ArrayList<>();
    private static int startOtherLists;
    private static int startPlannerLists;
    private static int startPages;

    /** A sink folder of its own (the temp folder is set only once the class runs). */
    private static Path sink() {
        try {
            Path folder = Files.createTempDirectory("paged-reads-sink");
            SINK.set(folder);
            return folder.resolve("sink");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @BeforeAll
    static void storeManyAndRestart() {
        ChainCopies.of(DAEMON, GAZELLE).store(STORED, PagedReadsInProcessTest::id, "paged-access", ISSUED, CLOCK.instant(),
                NEEDS_HUMAN);
        DAEMON.restart();
        CountingStore counted = STORE.get();
        startOtherLists = counted.otherLists();
        startPlannerLists = counted.plannerLists();
        startPages = counted.pages();
    }

    @AfterAll
    static void closeImitations() {
        GAZELLE.close();
        INBOX.close();
    }

    private static CredentialId id(int i) {
        return CredentialId.parse("gazelle:paged-" + String.format("%04d", i));
    }

    @Test
    void everyPartThatLooksAtEveryCredentialReadsPagesAndReachesTheLastOne() throws Exception {
        CountingStore counted = STORE.get();
        System.out.printf("restart over %,d credentials: %d pages read, %d whole-table reads by the planner, %d by"
                + " others%n", STORED + 1, startPages, startPlannerLists, startOtherLists);
        assertEquals(0, startOtherLists, "no part but the scheduler's in-memory plan reads every credential at start");
        assertTrue(startPlannerLists <= 1, "the in-memory plan reads them once at most: " + startPlannerLists);

        // The notification check at start walked to the third page.
        JsonNode told = INBOX.await("requires_configuration", 1, Duration.ofSeconds(30)).get(0);
        assertEquals(NEEDS_HUMAN.toString(), told.path("credential").asText(), told.toString());
        int pages = counted.pages();
        DAEMON.runDue();
        assertTrue(counted.pages() >= pages + 3, "the check walks the store again, a page at a time");

        // The sink wrote every active credential at start, and its catch-up finds deletions behind its back.
        Path gazelle = SINK.get().resolve("sink/gazelle");
        assertEquals(STORED, tokenFiles(gazelle), "every active credential's token file, the seed's too");
        List<CredentialId> deleted = List.of(id(0), id(777), id(STORED - 1));
        TokenStore store = DAEMON.assembly().store();
        for (CredentialId id : deleted) {
            assertTrue(store.delete(id), "deleted " + id + " as another daemon would");
        }
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                deleted.stream().noneMatch(id -> Files.exists(gazelle.resolve(id.account() + ".token"))));
        assertEquals(STORED - deleted.size(), tokenFiles(gazelle), "only the deleted ones' files are gone");

        // The list route: pages of 1,000 with a link to the next, which add up to the store.
        List<String> listed = new ArrayList<>();
        String path = "/api/v1/credentials";
        int answers = 0;
        while (path != null) {
            HttpResponse<String> page = DAEMON.call("GET", path, null);
            assertEquals(200, page.statusCode(), page.body());
            JSON.readTree(page.body()).forEach(credential -> listed.add(credential.path("id").asText()));
            answers++;
            path = page.headers().firstValue("Link").map(link -> link.substring(1, link.indexOf('>'))).orElse(null);
        }
        assertEquals(2, answers);
        assertEquals(STORED + 1 - deleted.size(), listed.size());
        assertEquals(listed.stream().sorted().toList(), listed, "in id order, nothing twice");

        // The console: 500 a page and a link to the next.
        HttpResponse<String> overview = DAEMON.consolePage("/ui/");
        assertEquals(200, overview.statusCode());
        assertTrue(overview.body().contains("id=\"next-page\""), "a link to the next page");
        assertEquals(500, overview.body().split("data-credential-id=", -1).length - 1, "one page of rows");
        HttpResponse<String> last = DAEMON.consolePage("/ui/?after=" + id(1_000));
        assertTrue(last.body().contains(id(STORED - 2).toString()) && !last.body().contains("id=\"next-page\""),
                "the last page, without a link");

        // A rekey re-seals every credential, a page at a time.
        HttpResponse<String> rekey = DAEMON.call("POST", "/api/v1/rekey", "{}");
        assertEquals(200, rekey.statusCode(), rekey.body());
        assertEquals(STORED + 1 - deleted.size(), JSON.readTree(rekey.body()).path("resealed").size(), rekey.body());

        // The report: a line per credential, the store read a page at a time.
        HttpResponse<String> report = DAEMON.call("GET", "/api/v1/report", null);
        assertEquals(200, report.statusCode(), report.body());
        assertEquals(STORED + 1 - deleted.size(), JSON.readTree(report.body()).path("credentials").size());

        assertEquals(0, counted.otherLists(), "no part read the whole table");
        assertTrue(counted.largestPage() <= LARGEST_PAGE, "no read asked for more than a page: " + counted.largestPage());

        String log = DAEMON.log();
        List<String> texts = INBOX.texts();
        for (String access : ISSUED) {
            assertFalse(log.contains(access), "an issued token is in the log");
            assertFalse(texts.stream().anyMatch(text -> text.contains(access)), "an issued token is in a notification");
            assertFalse(listed.contains(access) || overview.body().contains(access) || rekey.body().contains(access)
                    || report.body().contains(access));
        }
    }

    private static long tokenFiles(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".token")).count();
        }
    }
}
