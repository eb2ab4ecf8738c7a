package dev.tokenkeeper.daemon.signin;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.Presentation;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.SignInPage;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.ValidationResult;
import dev.tokenkeeper.daemon.config.Settings;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What doctor says of the sign-in per credential (issue 25 must-show 4, the sign-in path): not
 * available, not set up, set up without the browser, set up; and a username without its password.
 */
class SignInSetupTest {

    private static final String PASSWORD = "correct-horse-battery-staple";
    private static final Map<String, TokenProvider> PROVIDERS = Map.of("shop", new Provider("shop", true),
            "api", new Provider("api", false));

    @Test
    void eachCredentialSaysWhetherTheSignInIsSetUp() {
        List<SignInSetup.Line> lines = SignInSetup.describe(settings(Map.of("SHOP_USERNAME", "me@example.org",
                        "SHOP_PASSWORD", PASSWORD, "TOKENKEEPER_CHROMIUM", "/bin/sh")), PROVIDERS,
                List.of(CredentialId.parse("api:default"), CredentialId.parse("shop:second"), CredentialId.parse("shop:third")),
                List.of(CredentialId.parse("shop:third")));
        assertEquals(List.of("api:default", "shop:default", "shop:second", "shop:third"),
                lines.stream().map(SignInSetup.Line::credential).toList(), "the stored ones and the one the settings sign in");
        assertEquals("sign-in not available: provider api has no sign-in page", lines.get(0).detail());
        assertTrue(lines.get(1).ok());
        assertEquals("sign-in set up (SHOP_USERNAME, SHOP_PASSWORD): signs in with /bin/sh when the session is gone,"
                + " at most 3 attempts a day", lines.get(1).detail());
        assertEquals("sign-in not set up: run `tokenkeeper login shop:second` to let the daemon sign in when the session"
                + " is gone", lines.get(2).detail(), "only default accounts are signed in from the settings");
        assertEquals("sign-in set up (stored with tokenkeeper login): signs in with /bin/sh when the session is gone,"
                + " at most 3 attempts a day", lines.get(3).detail());
        lines.forEach(line -> assertFalse(line.detail().contains(PASSWORD), "the password is never shown"));
    }

    @Test
    void withoutTheBrowserItSaysWhatToInstall() {
        List<SignInSetup.Line> lines = SignInSetup.describe(settings(Map.of("SHOP_USERNAME", "me@example.org",
                "SHOP_PASSWORD", PASSWORD, "TOKENKEEPER_CHROMIUM", "/nonexistent/chromium")), PROVIDERS, List.of(), List.of());
        assertEquals(1, lines.size());
        assertFalse(lines.get(0).ok());
        assertEquals("sign-in set up (SHOP_USERNAME, SHOP_PASSWORD), but no browser at /nonexistent/chromium: install"
                + " Debian's chromium (apt install chromium) or set TOKENKEEPER_CHROMIUM", lines.get(0).detail());
    }

    @Test
    void notSetUpSaysWhichSettingsToSet() {
        List<SignInSetup.Line> lines = SignInSetup.describe(settings(Map.of()), PROVIDERS,
                List.of(CredentialId.parse("shop:default")), List.of());
        assertEquals("sign-in not set up: run `tokenkeeper login shop:default` or set SHOP_USERNAME, SHOP_PASSWORD to let"
                + " the daemon sign in when the session is gone", lines.get(0).detail());
    }

    @Test
    void aUsernameWithoutItsPasswordIsAnError() {
        List<SignInSetup.Line> lines = SignInSetup.describe(settings(Map.of("SHOP_USERNAME", "me@example.org")),
                PROVIDERS, List.of(), List.of());
        assertEquals(1, lines.size());
        assertFalse(lines.get(0).ok());
        assertEquals("SHOP_PASSWORD is not set but SHOP_USERNAME is: set both (the daemon signs shop:default in with"
                + " them when its session is gone) or neither", lines.get(0).detail());
    }

    private static Settings settings(Map<String, String> values) {
        return Settings.of(new HashMap<>(values), Map.of());
    }

    /** A provider with or without a sign-in page; nothing else is called. */
    private record Provider(String id, boolean page) implements TokenProvider {
        @Override
        public Optional<SignInPage> signIn() {
            return page ? Optional.of(new SignInPage(URI.create("https://shop.example/login"), "#user", "#pass",
                    "button", List.of("session"), List.of("#captcha"), List.of("#code"))) : Optional.empty();
        }

        @Override
        public ImportedSecret importSecret(SecretInput input) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ValidationResult validate(SecretMaterial secret) {
            throw new UnsupportedOperationException();
        }

        @Override
        public RefreshResult refresh(SecretMaterial secret) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Presentation present(SecretMaterial secret) {
            throw new UnsupportedOperationException();
        }
    }
}
