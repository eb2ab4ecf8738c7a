package dev.tokenkeeper.dist;

import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * An upstream whose {@code error_description} echoes the secrets it was sent, whole and in part:
 * no fragment of 8+ characters of any secret reaches the log, the store, {@code status},
 * {@code report} or the API.
 */
class EchoedSecretsTest {

    private static final int FRAGMENT = 8;

    @TempDir
    Path temp;

    @Test
    void noFragmentOfASecretEchoedWholeAndInPartIsKeptAnywhere() throws Exception {
        check(true);
    }

    @Test
    void noFragmentOfASecretEchoedOnlyInPartIsKeptAnywhere() throws Exception {
        check(false);
    }

    private void check(boolean whole) throws Exception {
        try (FakeGazelle gazelle = FakeGazelle.start()) {
            Map<String, String> env = DaemonProcess.fastRefreshSettings();
            env.putAll(gazelle.settings());
            env.put("TOKENKEEPER_AUTO_REFRESH_ENABLED", "false");
            DaemonProcess daemon = new DaemonProcess(temp.resolve("state"), env);
            try {
                daemon.start();
                String tokenJson = gazelle.seedChain("default");
                String body = DaemonProcess.JSON.createObjectNode().put("tokenJson", tokenJson).toString();
                assertEquals(201, daemon.call("PUT", "/api/v1/credentials/gazelle:default", body).status());
                List<String> secrets = new ArrayList<>(List.of(gazelle.currentRefreshToken("default"),
                        gazelle.currentAccessToken("default"), gazelle.clientSecret()));

                gazelle.tokenFault(FakeGazelle.Fault.echoSecrets(whole));
                DaemonProcess.Response refreshed = daemon.call("POST", "/api/v1/credentials/gazelle:default/refresh?force=true", null);
                assertTrue(refreshed.body().contains("invalid_request"), "the upstream's refusal is reported: " + refreshed.body());
                DaemonProcess.Response credential = daemon.call("GET", "/api/v1/credentials/gazelle:default", null);
                assertTrue(credential.body().contains("lastError"), credential.body());

                List<String> places = new ArrayList<>();
                places.add("refresh answer:" + refreshed.body());
                places.add("credential:" + credential.body());
                places.add("list:" + daemon.call("GET", "/api/v1/credentials", null).body());
                places.add("history:" + daemon.call("GET", "/api/v1/credentials/gazelle:default/history", null).body());
                places.add("report API:" + daemon.call("GET", "/api/v1/report", null).body());
                places.add("status:" + daemon.cli("status").body());
                places.add("report:" + daemon.cli("report").body());
                daemon.stop();
                places.add("log:" + daemon.output());
                try (Stream<Path> files = Files.walk(daemon.stateDir())) {
                    for (Path file : files.filter(Files::isRegularFile).toList()) {
                        places.add("store file " + file.getFileName() + ":"
                                + new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
                    }
                }
                for (String place : places) {
                    for (String secret : secrets) {
                        for (int at = 0; at + FRAGMENT <= secret.length(); at++) {
                            if (place.contains(secret.substring(at, at + FRAGMENT))) {
                                fail("a fragment of a secret at offset " + at + " reached "
                                        + place.substring(0, place.indexOf(':')));
                            }
                        }
                    }
                }
                assertTrue(places.get(1).contains("[redacted]"), "the summary says what was removed: " + places.get(1));
            } finally {
                daemon.stop();
            }
        }
    }
}
