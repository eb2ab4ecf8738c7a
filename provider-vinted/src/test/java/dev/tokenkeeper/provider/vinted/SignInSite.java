package dev.tokenkeeper.provider.vinted;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Vinted's sign-in pages, imitated on a {@link FakeVinted}'s site: {@code GET /member/login} shows
 * an e-mail and password form; its post, with the right username and password, answers as the site
 * chosen with {@link #answer}: signed in (the session's cookies set, the tokens HttpOnly, as Vinted
 * does), a DataDome captcha, or a request for the code sent by e-mail. A wrong password shows the
 * form again. Every page it served is kept, for a test to search for the password.
 */
public final class SignInSite {

    /** What the site does with a right username and password. */
    public enum Answer {
        /** Signs in: the session's cookies. */
        SIGNED_IN,
        /** Shows DataDome's captcha instead. */
        CAPTCHA,
        /** Asks for the code it sent by e-mail. */
        EMAIL_CODE
    }

    /** The path of the sign-in page. */
    public static final String PATH = "/member/login";

    private final FakeVinted vinted;
    private final String username;
    private final String password;
    private final List<String> pages = new ArrayList<>();
    private final List<String> sessions = new ArrayList<>();
    private Answer answer = Answer.SIGNED_IN;
    private int posts;

    private SignInSite(FakeVinted vinted, String username, String password) {
        this.vinted = vinted;
        this.username = username;
        this.password = password;
    }

    /**
     * @param vinted   the fake whose site gets the pages and whose sessions they hand out
     * @param username the account's username (an e-mail address)
     * @param password its password
     * @return the pages, served
     */
    public static SignInSite on(FakeVinted vinted, String username, String password) {
        SignInSite site = new SignInSite(vinted, username, password);
        vinted.serve(PATH, site::handle);
        return site;
    }

    /**
     * @param next what the site does with the next right username and password
     * @return this
     */
    public synchronized SignInSite answer(Answer next) {
        this.answer = next;
        return this;
    }

    /** @return how many times the form was sent */
    public synchronized int posts() {
        return posts;
    }

    /** @return the {@code Cookie:} headers of the sessions it signed in, in order */
    public synchronized List<String> sessions() {
        return List.copyOf(sessions);
    }

    /** @return every page body it served */
    public synchronized List<String> pages() {
        return List.copyOf(pages);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String form = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            List<String> setCookies = new ArrayList<>();
            String page;
            synchronized (this) {
                if (!exchange.getRequestMethod().equals("POST")) {
                    page = loginPage("");
                } else {
                    posts++;
                    Map<String, String> fields = fields(form);
                    if (!username.equals(fields.get("username")) || !password.equals(fields.get("password"))) {
                        page = loginPage("<p class=\"error\">Identifiants incorrects</p>");
                    } else {
                        page = switch (answer) {
                            case SIGNED_IN -> signedIn(setCookies);
                            case CAPTCHA -> "<!DOCTYPE html><html><body><div id=\"ddv1-captcha-container\">"
                                    + "<p>Vérifiez que vous êtes humain</p></div></body></html>";
                            case EMAIL_CODE -> "<!DOCTYPE html><html><body><h1>Vérifiez votre e-mail</h1>"
                                    + "<form><input name=\"code\" autocomplete=\"one-time-code\"></form></body></html>";
                        };
                    }
                }
                pages.add(page);
            }
            setCookies.forEach(cookie -> exchange.getResponseHeaders().add("Set-Cookie", cookie));
            byte[] body = page.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    private String signedIn(List<String> setCookies) {
        String session = vinted.newSession();
        sessions.add(session);
        for (String pair : session.split("; ")) {
            String name = pair.substring(0, pair.indexOf('='));
            boolean token = name.equals(FakeVinted.ACCESS_TOKEN) || name.equals(FakeVinted.REFRESH_TOKEN)
                    || name.equals(FakeVinted.SESSION_COOKIE);
            setCookies.add(pair + "; Path=/; Max-Age=604800" + (token ? "; HttpOnly" : ""));
        }
        return "<!DOCTYPE html><html><body><h1>Bienvenue</h1></body></html>";
    }

    private static String loginPage(String error) {
        return "<!DOCTYPE html><html><body><h1>Se connecter</h1>" + error
                + "<form method=\"post\" action=\"" + PATH + "\">"
                + "<input type=\"email\" name=\"username\" autocomplete=\"username\">"
                + "<input type=\"password\" name=\"password\" autocomplete=\"current-password\">"
                + "<button type=\"submit\">Continuer</button></form></body></html>";
    }

    private static Map<String, String> fields(String form) {
        Map<String, String> fields = new HashMap<>();
        for (String pair : form.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                fields.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return fields;
    }
}
