package dev.tokenkeeper.dist;

import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The .deb under a real systemd: a minimal Debian booted in systemd-nspawn, the package installed
 * with apt, then everything an operator does with it (issue 15's "Must show"), and who may reach
 * what (issue 22): a secret as a credential, group tokenkeeper on the socket, no secret the group
 * can read. Needs root, mmdebstrap and systemd-container; runs with {@code -Psystemd} (failsafe,
 * after the package phase).
 */
@Tag("systemd")
class SystemdPackageIT {

    private static final Duration BUDGET = Duration.ofMinutes(4);
    private static final Pattern EXPOSURE = Pattern.compile("Overall exposure level for tokenkeeper\\.service: ([0-9.]+)");

    @Test
    void installUseRestartWatchdogRemoveAndPurgeUnderSystemd() throws Exception {
        long started = System.nanoTime();
        assertEquals("root", System.getProperty("user.name"), "systemd-nspawn needs root: run as root (CI is)");
        Path deb = debPackage();
        long lintianStarted = System.nanoTime();
        // Lintian clean: every remaining tag is overridden with its reason (src/deb/lintian-overrides).
        Process lintian = new ProcessBuilder("lintian", "--fail-on", "warning", deb.toString()).redirectErrorStream(true).start();
        String lintianOutput = new String(lintian.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(lintian.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "lintian did not end within 120 s");
        assertEquals(0, lintian.exitValue(), "lintian:\n" + lintianOutput);
        long lintianSeconds = (System.nanoTime() - lintianStarted) / 1_000_000_000;
        long rootLookup = System.nanoTime();
        Path root = NspawnContainer.rootfs();
        long rootReady = System.nanoTime();
        // A cold cache builds the root with mmdebstrap (minutes, once per package list): not part of the budget.
        long rootfsBuild = rootReady - rootLookup;
        Path work = Files.createDirectories(Path.of("target", "systemd-it").toAbsolutePath());
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        try (FakeGazelle gazelle = FakeGazelle.start()) {
            gazelle.accessLifetime(Duration.ofSeconds(5));
            Path share = Files.createDirectories(work.resolve("share"));
            try (Stream<Path> old = Files.list(share)) {
                for (Path file : old.toList()) {
                    Files.delete(file);
                }
            }
            Files.copy(deb, share.resolve("tokenkeeper.deb"));
            Files.writeString(share.resolve("token.json"), gazelle.seedChain("default"));
            // Valid JSON the provider rejects: an access token that is not a string.
            Files.writeString(share.resolve("malformed.json"), "{\"access_token\":42,\"expires_in\":60}");
            StringBuilder env = new StringBuilder("TOKENKEEPER_LISTEN=127.0.0.1:" + port + "\n");
            Map<String, String> settings = new java.util.TreeMap<>(DaemonProcess.fastRefreshSettings());
            settings.putAll(gazelle.settings());
            // The client secret is not a setting of the group-readable file: it is a credential (issue 22, finding 6).
            String clientSecret = settings.remove("GAZELLE_CLIENT_SECRET");
            Files.writeString(share.resolve("gazelle_client_secret"), clientSecret + "\n");
            settings.forEach((name, value) -> env.append(name).append('=').append(value).append('\n'));
            Files.writeString(share.resolve("tokenkeeper.env"), env);
            Files.write(share.resolve("npm.tgz"), fromNpmRegistry(NPM, NPM_INTEGRITY));

            String api = "http://127.0.0.1:" + port;
            try (NspawnContainer box = NspawnContainer.boot(root, work.resolve("root"), List.of(share + ":/mnt/e2e"),
                    work.resolve("console.log"))) {
                long booted = System.nanoTime();
                // A host name that resolves, so sudo does not complain; the operator's site settings
                // (upstream imitation on the host's loopback, a free port) are in place before the
                // install, as a configuration-managed host would have them: apt keeps them (confold).
                ok(box, "echo \"127.0.1.1 $(hostname)\" >> /etc/hosts"
                        + " && install -d -m 0750 /etc/tokenkeeper && install -m 0640 /mnt/e2e/tokenkeeper.env /etc/tokenkeeper/"
                        + " && install -d -m 0700 /etc/tokenkeeper/credentials"
                        + " && install -m 0600 /mnt/e2e/gazelle_client_secret /etc/tokenkeeper/credentials/");

                // 1. install: active, /healthz answers at once (Type=notify: READY=1 only once it would).
                String install = ok(box, "apt-get install -y -q -o Dpkg::Options::=--force-confold /mnt/e2e/tokenkeeper.deb"
                        + " && systemctl is-active tokenkeeper && curl -sf " + api + "/healthz");
                assertTrue(install.contains("{\"status\":\"ok\"}"), install);
                assertTrue(ok(box, "systemctl show -p Type,NotifyAccess,WatchdogUSec,StatusText tokenkeeper")
                        .contains("Type=notify"));
                long installed = System.nanoTime();

                // 2. the CLI as root, through sudo and as a member of group tokenkeeper, nothing set.
                ok(box, "tokenkeeper status");
                ok(box, "sudo tokenkeeper status");
                ok(box, "useradd -m -G tokenkeeper alice && runuser -u alice -- tokenkeeper status");
                NspawnContainer.Result stranger = box.sh("useradd -m bob && runuser -u bob -- tokenkeeper status");
                assertNotEquals(0, stranger.exit(), "a user outside group tokenkeeper must not get in: " + stranger.output());
                assertTrue(stranger.output().contains("`sudo adduser bob tokenkeeper`"), stranger.output());

                // 3. an import from inside refreshes against the upstream imitation on the host.
                ok(box, "tokenkeeper import gazelle --token-json /mnt/e2e/token.json");
                // The imitation answers invalid_client to a wrong or missing client secret: a refresh that
                // succeeds shows the secret reached the daemon as the credential secret_gazelle_client_secret.
                await("refresh through the imitation").atMost(Duration.ofSeconds(30))
                        .until(() -> gazelle.refreshesPerChain().getOrDefault("default", 0) >= 1);
                await("status ok after refreshes").atMost(Duration.ofSeconds(30)).until(() ->
                        box.sh("tokenkeeper status --json").output().contains("\"status\" : \"active\""));

                // 3b. the consumer clients of the package install offline (no index, no registry) and
                // fetch that token with a consumer token of their own (issue 27); only its length is printed.
                ok(box, "tokenkeeper consumer add clients --credential gazelle:default --json"
                        + " | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])' > /root/consumer-token"
                        + " && chmod 600 /root/consumer-token");
                String clients = ok(box, "export TOKENKEEPER_URL=" + api + " TOKENKEEPER_TOKEN_FILE=/root/consumer-token"
                        + " && python3 -m venv /tmp/py && /tmp/py/bin/pip install -q --no-index /usr/share/tokenkeeper/clients/python"
                        + " && /tmp/py/bin/python -c 'from tokenkeeper_client import TokenKeeper;"
                        + " print(\"python token\", len(TokenKeeper().token(\"gazelle:default\")))'"
                        // npm as the registry publishes it (Debian's would add ~400 packages to the root):
                        // it installs the client's folder with no network.
                        + " && mkdir /tmp/npm /tmp/app && tar -xzf /mnt/e2e/npm.tgz -C /tmp/npm --strip-components=1"
                        + " && cd /tmp/app && node /tmp/npm/bin/npm-cli.js init -y >/dev/null"
                        + " && node /tmp/npm/bin/npm-cli.js install --offline --no-audit --no-fund"
                        + " /usr/share/tokenkeeper/clients/node"
                        + " && node --input-type=module -e 'import { TokenKeeper } from \"tokenkeeper-client\";"
                        + " console.log(\"node token\", (await new TokenKeeper().token(\"gazelle:default\")).length)'");
                assertTrue(clients.matches("(?s).*python token [1-9][0-9]*.*node token [1-9][0-9]*.*"), clients);
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(clients.contains(secret), "a client printed a token");
                }

                // 4. a malformed import is refused and shows among the warnings.
                NspawnContainer.Result bad = box.sh("tokenkeeper import gazelle --account broken --token-json /mnt/e2e/malformed.json");
                assertNotEquals(0, bad.exit(), bad.output());
                await("warning in the journal").atMost(Duration.ofSeconds(10)).until(() ->
                        box.sh("journalctl -u tokenkeeper -p warning -o cat --no-pager").output().contains("rejected secret"));

                // 5. doctor as root sees the installed service.
                String doctor = box.sh("tokenkeeper doctor").output();
                assertTrue(doctor.contains("ok   service: tokenkeeper.service is active"), doctor);
                assertTrue(doctor.contains("ok   key credential: /etc/tokenkeeper/master-key is 0600 root, 32 bytes"), doctor);
                assertTrue(doctor.contains("ok   secrets folder: /etc/tokenkeeper/credentials is 0700 root, 1 secret(s)"), doctor);
                assertTrue(doctor.contains("ok   environment file: /etc/tokenkeeper/tokenkeeper.env holds no secret"), doctor);
                assertFalse(doctor.contains(clientSecret), "doctor printed the client secret");

                // 6. stop ends with Result=success; restart keeps the credentials.
                ok(box, "systemctl stop tokenkeeper");
                assertTrue(ok(box, "systemctl show -p Result tokenkeeper").contains("Result=success"));
                ok(box, "systemctl start tokenkeeper && systemctl restart tokenkeeper");
                assertTrue(ok(box, "tokenkeeper status").contains("gazelle:default"));
                ok(box, "tokenkeeper token --min-validity 0 gazelle:default > /dev/null");

                // 7. a stopped JVM is killed by the watchdog (WatchdogSec=20s) and restarted.
                String pid = ok(box, "systemctl show -p MainPID --value tokenkeeper").strip();
                ok(box, "kill -STOP " + pid);
                long stoppedAt = System.nanoTime();
                await("watchdog restart").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                    String now = box.sh("systemctl show -p MainPID --value tokenkeeper").output().strip();
                    return !now.equals(pid) && !now.equals("0") && box.sh("curl -sf " + api + "/healthz").ok();
                });
                long watchdogSeconds = (System.nanoTime() - stoppedAt) / 1_000_000_000;
                assertTrue(box.sh("journalctl -u tokenkeeper -o cat --no-pager").output().contains("Watchdog timeout"));
                ok(box, "tokenkeeper token --min-validity 0 gazelle:default > /dev/null");

                // 8. systemd-analyze security: exposure at most 1.5.
                String security = box.sh("systemd-analyze security tokenkeeper --no-pager").output();
                Matcher exposure = EXPOSURE.matcher(security);
                assertTrue(exposure.find(), security);
                double level = Double.parseDouble(exposure.group(1));
                assertTrue(level <= 1.5, "exposure " + level);

                // 8b. The Unix socket for group tokenkeeper, as INSTALL.md documents it (a drop-in), and no
                // secret the group can read.
                long socketStarted = System.nanoTime();
                ok(box, "mkdir -p /etc/systemd/system/tokenkeeper.service.d"
                        + " && printf '[Service]\\nGroup=tokenkeeper\\nRuntimeDirectoryMode=0750\\n'"
                        + " > /etc/systemd/system/tokenkeeper.service.d/socket.conf"
                        + " && sed -i 's#^TOKENKEEPER_LISTEN=.*#TOKENKEEPER_LISTEN=unix:/run/tokenkeeper/tokenkeeper.sock#'"
                        + " /etc/tokenkeeper/tokenkeeper.env"
                        + " && systemctl daemon-reload && systemctl restart tokenkeeper && systemctl is-active tokenkeeper");
                assertFalse(box.sh("curl -sf " + api + "/healthz").ok(), "the TCP port still answers");
                String member = ok(box, "runuser -u alice -- tokenkeeper status");
                assertTrue(member.contains("gazelle:default"), member);
                ok(box, "runuser -u alice -- curl -sf --unix-socket /run/tokenkeeper/tokenkeeper.sock http://localhost/healthz");
                NspawnContainer.Result outsider = box.sh("runuser -u bob -- tokenkeeper status");
                assertNotEquals(0, outsider.exit(), "a user outside group tokenkeeper must not get in: " + outsider.output());
                assertTrue(outsider.output().contains("`sudo adduser bob tokenkeeper`"), outsider.output());
                assertFalse(box.sh("runuser -u bob -- curl -sf --unix-socket /run/tokenkeeper/tokenkeeper.sock http://localhost/healthz").ok());
                String unreadable = ok(box, "for f in /etc/tokenkeeper/master-key /etc/tokenkeeper/credentials/gazelle_client_secret"
                        + " $(find /var/lib/private/tokenkeeper /run/credentials/tokenkeeper.service /run/tokenkeeper -type f); do"
                        + " if runuser -u alice -- cat \"$f\" > /dev/null 2>&1; then echo \"READABLE $f\"; else echo \"refused $f\"; fi; done"
                        + "; runuser -u alice -- ls /etc/tokenkeeper/credentials > /dev/null 2>&1 && echo 'READABLE the credentials folder'"
                        + "; runuser -u alice -- ls /var/lib/tokenkeeper/ > /dev/null 2>&1 && echo 'READABLE the state folder'; true");
                assertFalse(unreadable.contains("READABLE"), unreadable);
                for (String file : List.of("/etc/tokenkeeper/master-key", "/etc/tokenkeeper/credentials/gazelle_client_secret",
                        "/var/lib/private/tokenkeeper/tokenkeeper.db", "/run/credentials/tokenkeeper.service/master-key",
                        "/run/credentials/tokenkeeper.service/secret_gazelle_client_secret")) {
                    assertTrue(unreadable.contains("refused " + file + "\n"), "not checked: " + file + "\n" + unreadable);
                }
                // What the group does read, besides the admin token, holds no secret (doctor checked the
                // settings against the list of secret settings above).
                assertFalse(ok(box, "runuser -u alice -- cat /etc/tokenkeeper/tokenkeeper.env").contains(clientSecret));
                long socketSeconds = (System.nanoTime() - socketStarted) / 1_000_000_000;

                // Secrets never reach the journal.
                String journal = ok(box, "journalctl -u tokenkeeper -o cat --no-pager");
                for (String secret : gazelle.allIssuedSecrets()) {
                    assertFalse(journal.contains(secret), "the journal contains an issued secret");
                }

                // 9. remove keeps state and key; install again has the credentials; purge removes them.
                ok(box, "apt-get remove -y -q tokenkeeper");
                ok(box, "test -s /etc/tokenkeeper/master-key && test -d /var/lib/private/tokenkeeper && ! systemctl is-active tokenkeeper");
                ok(box, "apt-get install -y -q -o Dpkg::Options::=--force-confold /mnt/e2e/tokenkeeper.deb && systemctl is-active tokenkeeper");
                assertTrue(ok(box, "tokenkeeper status").contains("gazelle:default"));
                ok(box, "tokenkeeper token --min-validity 0 gazelle:default > /dev/null");
                ok(box, "apt-get purge -y -q tokenkeeper");
                ok(box, "test ! -e /var/lib/private/tokenkeeper && test ! -e /var/lib/tokenkeeper && test ! -e /etc/tokenkeeper/master-key"
                        + " && test ! -e /etc/tokenkeeper/admin-token && test ! -e /etc/tokenkeeper/credentials"
                        + " && test ! -e /lib/systemd/system/tokenkeeper.service");

                long end = System.nanoTime();
                System.out.printf("systemd test: lintian %d s, rootfs %d s, copy+boot %d s, install %d s, in the container %d s,"
                                + " watchdog restart %d s after SIGSTOP, socket and group checks %d s, exposure %.1f%n",
                        lintianSeconds, rootfsBuild / 1_000_000_000, (booted - rootReady) / 1_000_000_000,
                        (installed - booted) / 1_000_000_000, (end - booted) / 1_000_000_000, watchdogSeconds, socketSeconds, level);
            }
        }
        long whole = System.nanoTime() - started - rootfsBuild;
        System.out.printf("systemd test: whole test (lintian, boot, checks, poweroff, clean-up) %d s%n", whole / 1_000_000_000);
        assertTrue(whole < BUDGET.toNanos(), "the systemd test took " + whole / 1_000_000_000 + " s, more than " + BUDGET);
    }

    /** The npm that installs the Node client in the container: the registry's tarball, pinned. */
    private static final String NPM = "https://registry.npmjs.org/npm/-/npm-10.8.2.tgz";
    private static final String NPM_INTEGRITY =
            "sha512-x/AIjFIKRllrhcb48dqUNAAZl0ig9+qMuN91RpZo3Cb2+zuibfh+KISl6+kVVyktDz230JKc208UkQwwMqyB+w==";

    private static byte[] fromNpmRegistry(String url, String integrity) throws Exception {
        java.net.http.HttpResponse<byte[]> answer = java.net.http.HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(20)).followRedirects(java.net.http.HttpClient.Redirect.NORMAL).build()
                .send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(120)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, answer.statusCode(), url);
        assertEquals(integrity, "sha512-" + java.util.Base64.getEncoder().encodeToString(
                java.security.MessageDigest.getInstance("SHA-512").digest(answer.body())), url + " is not the one pinned");
        return answer.body();
    }

    private static String ok(NspawnContainer box, String script) throws Exception {
        NspawnContainer.Result result = box.sh(script);
        assertEquals(0, result.exit(), script + " failed:\n" + result.output());
        return result.output();
    }

    private static Path debPackage() throws Exception {
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            return files.filter(f -> f.getFileName().toString().matches("tokenkeeper_.*_all\\.deb")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no target/tokenkeeper_*_all.deb: run with -Psystemd verify"))
                    .toAbsolutePath();
        }
    }
}
