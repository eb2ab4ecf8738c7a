package dev.tokenkeeper.daemon.cli;

import dev.tokenkeeper.daemon.oauth.Pkce;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.CredentialId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code tokenkeeper authorize <provider>}: the OAuth 2 authorization-code flow with a loopback
 * redirect. Prints the authorize URL, waits on {@code http://127.0.0.1:<port>/callback} for the
 * browser, checks {@code state}, and has the daemon exchange the code and store the credential.
 */
@Command(name = "authorize", description = "Authorize tokenkeeper at the provider in a browser (OAuth 2 authorization code).")
final class AuthorizeCommand extends Subcommand implements Callable<Integer> {

    private static final Pattern DURATION = Pattern.compile("(\\d{1,7})([smh]?)");

    @Parameters(index = "0", description = "provider id (one with an authorization flow, see `tokenkeeper providers`)")
    String provider;

    @Mixin
    AccountOption account;

    @Option(names = "--port", defaultValue = "0", description = "loopback port for the redirect; 0 picks a free one"
            + " (register http://127.0.0.1:<port>/callback at the provider)")
    int port;

    @Option(names = "--no-browser", description = "only print the URL; do not try to open a browser")
    boolean noBrowser;

    @Option(names = "--timeout", defaultValue = "5m", description = "how long to wait for the redirect: 300, 90s, 5m, 1h"
            + " (default: ${DEFAULT-VALUE})")
    String timeout;

    @Override
    public Integer call() throws IOException {
        CredentialId id = new CredentialId(provider, account.name());
        Duration wait = duration(timeout);
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("--port must be from 0 to 65535");
        }
        PrintWriter out = out();
        PrintWriter err = err();
        ApiClient client = daemon();
        String state = randomState();
        Pkce pkce = Pkce.generate();
        try (LoopbackRedirect redirect = LoopbackRedirect.open(port)) {
            URI redirectUri = redirect.redirectUri();
            JsonNode answer = client.get("/api/v1/providers/" + encode(provider) + "/authorize-url?state=" + encode(state)
                    + "&redirectUri=" + encode(redirectUri.toString()) + "&codeChallenge=" + pkce.challenge())
                    .orFail("cannot start the authorization").body();
            String url = answer.path("url").asText();
            out.println("Open this URL in a browser and approve tokenkeeper:");
            out.println(url);
            out.println("Waiting up to " + wait.toSeconds() + " s for the redirect to " + redirectUri + " ...");
            out.flush();
            if (!noBrowser) {
                openBrowser(url);
            }
            LoopbackRedirect.Callback callback;
            try {
                callback = redirect.await(wait);
            } catch (TimeoutException e) {
                err.println("tokenkeeper: no redirect arrived within " + wait.toSeconds() + " s: run `tokenkeeper authorize "
                        + provider + "` again and approve in the browser, or raise --timeout");
                return 1;
            }
            return complete(callback, id, state, pkce, redirectUri, out, err);
        }
    }

    private int complete(LoopbackRedirect.Callback callback, CredentialId id, String state, Pkce pkce, URI redirectUri,
                         PrintWriter out, PrintWriter err) {
        if (callback.param("error").isPresent()) {
            String error = printable(callback.param("error").get()) + callback.param("error_description")
                    .map(d -> " (" + printable(d) + ")").orElse("");
            callback.answer(400, "Authorization refused", "The provider refused the authorization: " + error);
            err.println("tokenkeeper: the provider refused the authorization: " + error);
            return 1;
        }
        String returned = callback.param("state").orElse("");
        if (!MessageDigest.isEqual(returned.getBytes(StandardCharsets.UTF_8), state.getBytes(StandardCharsets.UTF_8))) {
            callback.answer(400, "Wrong state", "This redirect does not belong to the authorization tokenkeeper started;"
                    + " its code was not used.");
            err.println("tokenkeeper: the redirect carried a " + (returned.isEmpty() ? "missing" : "wrong")
                    + " state, so it does not come from this authorization (a stale tab or a forged link);"
                    + " the code was not used: run `tokenkeeper authorize " + id.provider() + "` again");
            return 1;
        }
        String code = callback.param("code").filter(c -> !c.isBlank()).orElse(null);
        if (code == null) {
            callback.answer(400, "No code", "The redirect carried no authorization code.");
            err.println("tokenkeeper: the redirect carried no authorization code: run `tokenkeeper authorize "
                    + id.provider() + "` again");
            return 1;
        }
        ApiClient.Answer stored;
        try {
            stored = daemon().put("/api/v1/credentials/" + id,
                    Map.of("authorizationCode", code, "redirectUri", redirectUri.toString(), "codeVerifier", pkce.verifier()));
        } catch (RuntimeException e) {
            callback.answer(400, "Authorization failed", "tokenkeeper could not store the credential; see the terminal.");
            throw e;
        }
        if (!stored.ok()) {
            callback.answer(400, "Authorization failed", "tokenkeeper could not exchange the code: " + stored.errorMessage());
            err.println("tokenkeeper: the code could not be exchanged: " + stored.errorMessage());
            return 1;
        }
        callback.answer(200, "tokenkeeper is authorized", "The credential " + id + " is stored. You can close this window.");
        JsonNode credential = stored.body().path("credential");
        out.printf("authorized %s (%s), access token valid until %s, next refresh at %s%n",
                credential.path("id").asText(id.toString()), credential.path("status").asText(),
                credential.path("accessExpiresAt").asText("unknown"), credential.path("nextRefreshAt").asText("unknown"));
        for (JsonNode warning : stored.body().path("warnings")) {
            err.println("warning: " + warning.asText());
        }
        return 0;
    }

    static Duration duration(String text) {
        Matcher m = DURATION.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new IllegalArgumentException("--timeout must be a positive number of seconds, or like 90s, 5m, 1h");
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofSeconds(amount);
        };
    }

    private static String randomState() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static void openBrowser(String url) {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String opener = os.contains("mac") ? "open" : os.contains("win") ? null : "xdg-open";
        if (opener == null) {
            return;
        }
        try {
            new ProcessBuilder(opener, url).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            // No browser here (a server over SSH): the printed URL is enough.
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String printable(String text) {
        String cut = text.length() > 200 ? text.substring(0, 200) + "..." : text;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
