package dev.tokenkeeper.provider.vinted;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Collection;
import java.util.Set;

/** Checks that text shown to people carries none of the secrets a {@link FakeVinted} handed out. */
public final class SecretAssertions {

    private SecretAssertions() {
    }

    /**
     * @param fake   the fake whose {@link FakeVinted#allIssuedSecrets()} must not appear
     * @param shown  texts (messages, reasons, {@code toString()} results, logs)
     */
    public static void assertNoSecretIn(FakeVinted fake, Collection<String> shown) {
        Set<String> secrets = fake.allIssuedSecrets();
        for (String text : shown) {
            for (String secret : secrets) {
                // Fragments count too: a token cut short in a message is still a leak.
                String probe = secret.length() > 24 ? secret.substring(secret.length() - 24) : secret;
                if (text.contains(probe)) {
                    fail("a secret issued by the fake shows up in: " + text.replace(secret, "<SECRET>")
                            .replace(probe, "<SECRET FRAGMENT>"));
                }
            }
        }
    }

    /**
     * @param fake  the fake
     * @param shown one text
     */
    public static void assertNoSecretIn(FakeVinted fake, String shown) {
        assertNoSecretIn(fake, Set.of(shown));
    }
}
