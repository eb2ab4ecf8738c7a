package dev.tokenkeeper.api;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * How a person signs in to a provider's site with a username and a password, for a provider whose
 * sessions come from a browser ({@link TokenProvider#signIn}). When a credential's session is gone
 * and sign-in credentials are set for it, the daemon opens {@link #page()} in a headless browser with
 * a fresh profile, types the username and password into the two fields, clicks the button, and reads
 * the page it lands on: a captcha or a code request ends the attempt at once (a human is needed); the
 * {@link #sessionCookies() session cookies} present mean success, and every cookie the browser then
 * holds for the page's site is imported as a {@link SecretInput.CookieFile} (a JSON array of
 * {@code {"name","value","domain","path","expirationDate","httpOnly","secure"}}, HttpOnly cookies
 * included); any other page is a failure too. The selectors are CSS selectors, matched in the page's
 * document; several may be given where the site shows one of several forms.
 *
 * @param page           the sign-in page to open, under the provider's configured site
 * @param usernameField  the field the username (or e-mail address) is typed into
 * @param passwordField  the field the password is typed into
 * @param submitButton   the button that sends the form
 * @param sessionCookies names of cookies that are all set once the site has signed the user in
 * @param captchaMarks   selectors, any one of which on a page means the site shows a captcha
 * @param codeMarks      selectors, any one of which on a page means the site asks for a code (sent by
 *                       e-mail, SMS or an app: a second factor)
 */
public record SignInPage(URI page, String usernameField, String passwordField, String submitButton,
                         List<String> sessionCookies, List<String> captchaMarks, List<String> codeMarks) {

    /** Rejects nulls and an empty list of session cookies, and copies the lists. */
    public SignInPage {
        Objects.requireNonNull(page, "page");
        Objects.requireNonNull(usernameField, "usernameField");
        Objects.requireNonNull(passwordField, "passwordField");
        Objects.requireNonNull(submitButton, "submitButton");
        sessionCookies = List.copyOf(sessionCookies);
        captchaMarks = List.copyOf(captchaMarks);
        codeMarks = List.copyOf(codeMarks);
        if (sessionCookies.isEmpty()) {
            throw new IllegalArgumentException("a sign-in page needs at least one session cookie to recognise success");
        }
    }
}
