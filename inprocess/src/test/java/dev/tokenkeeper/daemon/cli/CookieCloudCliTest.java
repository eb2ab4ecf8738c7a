package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.inprocess.InProcessCli;
import dev.tokenkeeper.api.contract.MutableClock;
import dev.tokenkeeper.inprocess.TokenkeeperExtension;
import dev.tokenkeeper.provider.vinted.FakeVinted;
import dev.tokenkeeper.provider.vinted.VintedProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tokenkeeper cookiecloud link|list|unlink} and {@code doctor}'s CookieCloud lines (issue 25
 * must-show 4, this path), through the real picocli commands against the harness ({@link InProcessCli}):
 * the password is read from stdin, the server address and the header line are printed once, the
 * list shows no secret, the printed token is the one the receiver takes until the link is removed.
 */
class CookieCloudCliTest {

    private static final String UUID = "kX3v9QpR7tLmW2sB8nYc4a";
    private static final String PASSWORD = "SECRET-CC-CLI-PASSWORD-2b7d";
    private static final Pattern HEADER = Pattern.compile("header line: +Authorization:Bearer (tkc_[A-Za-z0-9_-]+)");

    private final MutableClock clock = MutableClock.startingNow();
    private final FakeVinted vinted = FakeVinted.builder().clock(clock).start();
    private final List<String> outputs = new ArrayList<>();

    @RegisterExtension
    final TokenkeeperExtension daemon = TokenkeeperExtension.withProvider(new VintedProvider()).clock(clock)
            .settings(Map.of("VINTED_BASE_URL", vinted.baseUrl()));

    @TempDir
    Path files;

    @AfterEach
    void lookForSecretsAndClose() {
        try {
            outputs.add(daemon.log());
            for (String text : outputs) {
                assertFalse(text.contains(PASSWORD), "the password reached an output: " + text);
                for (String secret : vinted.allIssuedSecrets()) {
                    assertFalse(text.contains(secret), "a cookie reached an output");
                }
            }
        } finally {
            vinted.close();
        }
    }

    @Test
    void linkListUnlinkAndDoctor() throws Exception {
        assertEquals(201, daemon.call("PUT", "/api/v1/credentials/vinted:unlinked",
                "{\"cookie\":\"" + vinted.newSession().replace("\"", "\\\"") + "\"}").statusCode());

        InProcessCli.Run linked = cli(PASSWORD + "\n", "cookiecloud", "link", "vinted:shop", "--uuid", UUID);
        assertEquals(0, linked.exit(), linked.output());
        assertTrue(linked.output().contains("server address: http://127.0.0.1:" + daemon.port() + "/cookiecloud"),
                linked.output());
        Matcher header = HEADER.matcher(linked.output());
        assertTrue(header.find(), linked.output());
        String token = header.group(1);
        assertEquals(400, update(token).statusCode(), "the printed token is taken (and the non-gzip body refused)");

        InProcessCli.Run list = cli("", "cookiecloud", "list");
        assertEquals(0, list.exit());
        assertTrue(list.output().startsWith("vinted:shop"), list.output());
        assertFalse(list.output().contains(UUID) || list.output().contains(token), list.output());

        String doctor = cli("", "doctor", "--state-dir", daemon.stateDirectory().toString()).output();
        assertTrue(doctor.contains("credential vinted:shop: cookiecloud set up: linked ")
                && doctor.contains("no credential yet, the first upload imports it"), doctor);
        assertTrue(doctor.contains("credential vinted:unlinked: cookiecloud not set up (optional): `tokenkeeper cookiecloud link"
                + " vinted:unlinked --uuid <uuid>`"), doctor);
        assertFalse(doctor.contains(token) || doctor.contains(UUID), doctor);

        assertNotEquals(0, cli("", "cookiecloud", "link", "vinted:other", "--uuid", UUID).exit(), "no password: refused");
        assertEquals(0, cli("", "cookiecloud", "unlink", "vinted:shop").exit());
        assertEquals(403, update(token).statusCode(), "unlinked: the token imports nothing");
        assertNotEquals(0, cli("", "cookiecloud", "unlink", "vinted:shop").exit(), "nothing left to unlink");
        assertTrue(cli("", "cookiecloud", "list").output().startsWith("no CookieCloud links"));
        assertTrue(cli("", "doctor", "--state-dir", daemon.stateDirectory().toString()).output()
                .contains("credential vinted:unlinked: cookiecloud not set up"));
    }

    private InProcessCli.Run cli(String stdin, String... args) throws Exception {
        InProcessCli.Run run = new InProcessCli(daemon, files).run(stdin, args);
        outputs.add(run.output());
        return run;
    }

    private HttpResponse<String> update(String token) {
        HttpResponse<String> answer = daemon.callAs(token, "POST", "/cookiecloud/update", "not gzip");
        outputs.add(answer.body());
        return answer;
    }
}
