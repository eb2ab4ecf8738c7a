package dev.tokenkeeper.daemon.signin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.PluginContext;
import dev.tokenkeeper.api.SignInPage;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Signs in once, as a person would, in a browser already started: opens the sign-in page, types the
 * username and the password, presses the button and reads where it lands. A captcha, a code request
 * or a page it does not know ends the attempt at once; every wait is bounded by the deadline given.
 */
final class BrowserSignIn {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration POLL = Duration.ofMillis(150);
    /** How long a loaded page may take to draw what it shows with scripts before it counts as unknown. */
    private static final Duration RENDER_GRACE = Duration.ofSeconds(3);
    private static final Duration CALL = Duration.ofSeconds(15);
    private static final String MARK = "__tokenkeeperSubmitted";

    private final DevTools browser;
    private final SignInPage page;
    private final long deadline;
    private final Duration timeout;
    private Optional<String> session = Optional.empty();

    private BrowserSignIn(DevTools browser, SignInPage page, Duration timeout) {
        this.browser = browser;
        this.page = page;
        this.timeout = timeout;
        this.deadline = System.nanoTime() + timeout.toNanos();
    }

    /**
     * @param browser the browser's DevTools connection
     * @param page    what the provider says of its sign-in page
     * @param secret  the username and password to type
     * @param timeout how long the whole sign-in may take
     * @return signed in (with the cookies) or a human needed (with the reason)
     * @throws SignInException when the browser fails or the time runs out
     */
    static SignInOutcome run(DevTools browser, SignInPage page, SignInSecret secret, Duration timeout) {
        return new BrowserSignIn(browser, page, timeout).signIn(secret);
    }

    private SignInOutcome signIn(SignInSecret secret) {
        String target = browser.call(Optional.empty(), "Target.createTarget", DevTools.params().put("url", "about:blank"),
                CALL).path("targetId").asText();
        session = Optional.of(browser.call(Optional.empty(), "Target.attachToTarget",
                DevTools.params().put("targetId", target).put("flatten", true), CALL).path("sessionId").asText());
        browser.call(session, "Page.navigate", DevTools.params().put("url", page.page().toString()), CALL);

        Optional<SignInOutcome> atLogin = awaitPage(false);
        if (atLogin.isPresent()) {
            return atLogin.get();
        }
        type(page.usernameField(), secret.username());
        type(page.passwordField(), secret.password());
        boolean pressed = evaluate("(() => { const b = document.querySelector(" + literal(page.submitButton()) + ");"
                + " if (!b) { return false; } window." + MARK + " = true; b.click(); return true; })()").asBoolean();
        if (!pressed) {
            return new SignInOutcome.HumanNeeded("the sign-in page has no button matching " + page.submitButton()
                    + ": the site changed; import the session by hand");
        }
        return awaitPage(true).orElseThrow();
    }

    /**
     * Waits for the page to show what it is. Before the form is sent: empty once the form is there.
     * After: signed in, or what the new page asks for.
     */
    private Optional<SignInOutcome> awaitPage(boolean sent) {
        Long loadedAt = null;
        while (System.nanoTime() < deadline) {
            JsonNode state = state();
            if (state.path("captcha").asBoolean()) {
                return Optional.of(new SignInOutcome.HumanNeeded("the site showed a captcha"
                        + (sent ? " after the form was sent" : " on its sign-in page")
                        + ": sign in by hand in a browser, then import the session (or let CookieCloud send it)"));
            }
            if (state.path("code").asBoolean()) {
                return Optional.of(new SignInOutcome.HumanNeeded("the site asks for a code (sent by e-mail or another"
                        + " device) to sign in: sign in by hand in a browser, then import the session"));
            }
            if (sent) {
                Optional<String> cookies = sessionCookies();
                if (cookies.isPresent()) {
                    return Optional.of(new SignInOutcome.SignedIn(cookies.get()));
                }
            }
            boolean newDocument = !sent || !state.path("marked").asBoolean();
            if (newDocument && "complete".equals(state.path("ready").asText())) {
                if (!sent && state.path("form").asBoolean()) {
                    return Optional.empty();
                }
                long now = System.nanoTime();
                loadedAt = loadedAt == null ? now : loadedAt;
                if (now - loadedAt >= RENDER_GRACE.toNanos()) {
                    return Optional.of(new SignInOutcome.HumanNeeded(unknownPage(sent, state)));
                }
            }
            pause();
        }
        throw new SignInException("the site did not " + (sent ? "answer the sign-in" : "show its sign-in page")
                + " within " + timeout.toSeconds() + " s");
    }

    private String unknownPage(boolean sent, JsonNode state) {
        String path = PluginContext.printable(state.path("path").asText());
        if (!sent) {
            return "the sign-in page " + path + " has no fields matching " + page.usernameField() + " and "
                    + page.passwordField() + ": the site changed; import the session by hand";
        }
        if (state.path("form").asBoolean()) {
            return "the site showed its sign-in form again after the form was sent (" + path + "): check the username"
                    + " and password, then sign in by hand once";
        }
        return "the site showed a page tokenkeeper does not recognise after the sign-in (" + path
                + "): sign in by hand in a browser, then import the session";
    }

    private JsonNode state() {
        String expression = "(() => { const any = list => list.some(s => { try { return document.querySelector(s) !== null; }"
                + " catch (e) { return false; } });"
                + " return JSON.stringify({ready: document.readyState, marked: window." + MARK + " === true,"
                + " captcha: any(" + literal(page.captchaMarks()) + "), code: any(" + literal(page.codeMarks()) + "),"
                + " form: any([" + literal(page.usernameField()) + "]) && any([" + literal(page.passwordField()) + "]),"
                + " path: location.pathname}); })()";
        try {
            return JSON.readTree(evaluate(expression).asText("{}"));
        } catch (IOException e) {
            return JSON.createObjectNode();
        } catch (SignInException e) {
            if (navigating(e)) {
                // The page was replaced while it was asked (the form's answer arriving): ask the next one.
                return JSON.createObjectNode();
            }
            throw e;
        }
    }

    /** Chromium's answers to an evaluation whose document was replaced meanwhile, as Puppeteer also reads them. */
    private static boolean navigating(SignInException e) {
        String message = String.valueOf(e.getMessage());
        return message.contains("Inspected target navigated or closed") || message.contains("Execution context was destroyed")
                || message.contains("Cannot find context with specified id");
    }

    private void type(String field, String text) {
        boolean focused = evaluate("(() => { const e = document.querySelector(" + literal(field) + "); if (!e) { return false; }"
                + " e.focus(); if (e.select) { e.select(); } return true; })()").asBoolean();
        if (!focused) {
            throw new SignInException("the sign-in page lost its field " + field + " before it was filled");
        }
        // Typed as text input, never put into a script: the value appears in no expression.
        browser.call(session, "Input.insertText", DevTools.params().put("text", text), CALL);
    }

    private JsonNode evaluate(String expression) {
        JsonNode result = browser.call(session, "Runtime.evaluate",
                DevTools.params().put("expression", expression).put("returnByValue", true), CALL);
        return result.path("result").path("value");
    }

    /** @return the site's cookies as a JSON export once every session cookie is set */
    private Optional<String> sessionCookies() {
        JsonNode cookies = browser.call(Optional.empty(), "Storage.getCookies", DevTools.params(), CALL).path("cookies");
        String host = page.page().getHost().toLowerCase(Locale.ROOT);
        Set<String> present = new HashSet<>();
        ArrayNode export = JSON.createArrayNode();
        for (JsonNode cookie : cookies) {
            String domain = cookie.path("domain").asText().toLowerCase(Locale.ROOT);
            String bare = domain.startsWith(".") ? domain.substring(1) : domain;
            if (!(host.equals(bare) || host.endsWith("." + bare))) {
                continue;
            }
            if (!cookie.path("value").asText().isEmpty()) {
                present.add(cookie.path("name").asText());
            }
            ObjectNode entry = export.addObject().put("name", cookie.path("name").asText())
                    .put("value", cookie.path("value").asText()).put("domain", domain)
                    .put("path", cookie.path("path").asText("/"))
                    .put("httpOnly", cookie.path("httpOnly").asBoolean()).put("secure", cookie.path("secure").asBoolean());
            double expires = cookie.path("expires").asDouble(-1);
            if (!cookie.path("session").asBoolean() && expires > 0) {
                entry.put("expirationDate", expires);
            }
        }
        return present.containsAll(page.sessionCookies()) ? Optional.of(export.toString()) : Optional.empty();
    }

    private static String literal(String text) {
        return JSON.getNodeFactory().textNode(text).toString();
    }

    private static String literal(List<String> texts) {
        ArrayNode array = JSON.createArrayNode();
        texts.forEach(array::add);
        return array.toString();
    }

    private static void pause() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SignInException("interrupted while waiting for the site");
        }
    }
}
