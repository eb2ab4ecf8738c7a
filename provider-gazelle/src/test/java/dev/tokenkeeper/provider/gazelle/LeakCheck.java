package dev.tokenkeeper.provider.gazelle;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Collection;

/** Asserts that texts a user may see (results, messages, {@code toString}) hold no secret value. */
public final class LeakCheck {

    private LeakCheck() {
    }

    /**
     * @param secrets every secret value in play, e.g. {@link FakeGazelle#allIssuedSecrets()}
     * @param things  results, exceptions or texts; each is checked through {@code toString()} and,
     *                for a throwable, its message
     */
    public static void assertNoSecretIn(Collection<String> secrets, Object... things) {
        for (Object thing : things) {
            String text = thing instanceof Throwable error ? error.getMessage() + " / " + error : String.valueOf(thing);
            for (String secret : secrets) {
                assertFalse(text.contains(secret), () -> "a secret value leaked into: " + thing.getClass().getName());
            }
        }
    }

    /**
     * @param message an error message or result reason
     * @return the message, after checking it is one line
     */
    public static String oneLine(String message) {
        assertFalse(message.contains("\n") || message.contains("\r"), "message must be one line: " + message);
        return message;
    }
}
