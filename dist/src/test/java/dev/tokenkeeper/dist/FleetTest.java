package dev.tokenkeeper.dist;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fleet's search fails on a secret in any output it saw, without printing it; no daemon runs here. */
class FleetTest {

    @RegisterExtension
    final Fleet fleet = new Fleet();

    @Test
    void aSecretInAnOutputFailsNamingTheOutputAndTheSecretsStartAndLengthOnly() throws Exception {
        Fleet other = new Fleet();
        String secret = "s3cr-" + "x".repeat(30);
        other.secret(secret);
        other.saw("page one", "nothing here");
        assertDoesNotThrow(other::assertNoSecrets);
        other.saw("page two", "before " + secret + " after");
        AssertionError found = assertThrows(AssertionError.class, other::assertNoSecrets);
        assertTrue(found.getMessage().contains("page two holds the secret s3cr… (35 characters)"), found.getMessage());
        assertFalse(found.getMessage().contains("page one"), found.getMessage());
        assertFalse(found.getMessage().contains(secret), "the message shows the secret");
    }

    @Test
    void aDaemonsAdminTokenAndSecretsIssuedLaterAreSearchedForToo() throws Exception {
        Path state = fleet.folder("state");
        Files.writeString(state.resolve("admin-token"), "admin-token-value-0123456789\n");
        Fleet other = new Fleet();
        other.daemon(state, Map.of());
        List<String> issued = new ArrayList<>();
        other.secrets(() -> issued);
        Path file = fleet.temp().resolve("written.txt");
        other.watch("the written file", file);
        other.saw("CLI output", "the admin token is admin-token-value-0123456789");
        AssertionError admin = assertThrows(AssertionError.class, other::assertNoSecrets);
        assertTrue(admin.getMessage().contains("CLI output holds the secret admi… (28 characters)"), admin.getMessage());

        Files.writeString(file, "later: issued-token-abcdef");
        issued.add("issued-token-abcdef");
        AssertionError later = assertThrows(AssertionError.class, other::assertNoSecrets);
        assertEquals(2, later.getMessage().lines().filter(line -> line.contains("holds the secret")).count(),
                later.getMessage());
        assertTrue(later.getMessage().contains("the written file holds the secret issu… (19 characters)"),
                later.getMessage());
    }
}
