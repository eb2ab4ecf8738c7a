package dev.tokenkeeper.daemon.console;

import dev.tokenkeeper.daemon.plugin.Renewal;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.RefreshEvent;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.schedule.SchedulerState;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The console's pages as HTML. Only ids, statuses, times and the stored one-line errors (which never
 * hold a secret) are rendered; the sealed secret is never read here. Pages use no inline script or
 * style, so the Content-Security-Policy can forbid both.
 */
final class ConsolePages {

    /** What the import form shows again after a failed attempt; never the secret. */
    record ImportState(String provider, String account, Optional<String> error) {
    }

    /** A provider that can run an authorization-code flow, or why it cannot now. */
    record AuthorizeOption(String provider, Optional<String> unavailable) {
    }

    private ConsolePages() {
    }

    static String login(Optional<String> error) {
        Html html = new Html();
        head(html, "Log in");
        html.raw("<main id=\"main\" class=\"narrow\"><h1>tokenkeeper</h1>");
        error.ifPresent(e -> html.raw("<p class=\"error\" role=\"alert\" id=\"login-error\">").text(e).raw("</p>"));
        html.raw("<form method=\"post\" action=\"/ui/login\" class=\"stack\">")
                .raw("<label for=\"token\">Admin token</label>")
                .raw("<input type=\"password\" id=\"token\" name=\"token\" required autocomplete=\"current-password\""
                        + " autofocus aria-describedby=\"token-help")
                .raw(error.isPresent() ? " login-error\"" : "\"").raw(">")
                .raw("<p class=\"help\" id=\"token-help\">The token is in the file <code>admin-token</code> of the daemon's"
                        + " state folder (or in <code>TOKENKEEPER_ADMIN_TOKEN_FILE</code>).</p>")
                .raw("<button type=\"submit\">Log in</button></form></main>");
        return foot(html);
    }

    static String overview(ConsoleSessions.Session session, String table, SchedulerState scheduler, Optional<String> flash) {
        Html html = new Html();
        head(html, "Credentials");
        nav(html, session);
        html.raw("<main id=\"main\"><h1>Credentials</h1>");
        flash(html, flash);
        html.raw("<section aria-labelledby=\"scheduler-title\" class=\"scheduler\"><h2 id=\"scheduler-title\">Scheduler</h2>")
                .raw("<p id=\"scheduler-state\" data-active=\"").text(scheduler.isActive()).raw("\">")
                .raw("Scheduled refreshes are <strong>").text(scheduler.isActive() ? "running" : "stopped").raw("</strong>")
                .raw("; validation sweep every ").text(minutes(scheduler.intervalMinutes())).raw(".</p>")
                .raw("<form method=\"post\" action=\"/ui/scheduler\">");
        csrf(html, session);
        html.raw("<input type=\"hidden\" name=\"action\"").attr("value", scheduler.isActive() ? "stop" : "start").raw(">")
                .raw("<button type=\"submit\" id=\"scheduler-toggle\">").text(scheduler.isActive() ? "Stop the scheduler"
                        : "Start the scheduler").raw("</button></form></section>");
        html.raw(table).raw("</main>");
        return foot(html);
    }

    /**
     * The overview's table: the same for every session, so it is rendered once per snapshot of the
     * credentials rather than once per request.
     */
    static String credentialTable(List<Row> rows, Instant now) {
        Html html = new Html();
        if (rows.isEmpty()) {
            return html.raw("<p>No credentials yet. <a href=\"/ui/import\">Import one</a>.</p>").toString();
        }
        html.raw("<table class=\"credentials\"><caption>One row per credential; times in UTC</caption><thead><tr>")
                .raw("<th scope=\"col\">Credential</th><th scope=\"col\">Status</th><th scope=\"col\">Access token expires</th>")
                .raw("<th scope=\"col\">Next refresh</th><th scope=\"col\">Refresh token expires</th>")
                .raw("<th scope=\"col\">Last error</th><th scope=\"col\">What to do</th></tr></thead><tbody>");
        for (Row row : rows) {
            StoredCredential c = row.credential();
            String id = c.id().toString();
            html.raw("<tr").attr("data-credential-id", id).attr("data-status", c.status().wireName()).raw(">")
                    .raw("<th scope=\"row\" data-label=\"Credential\"><a").attr("href", "/ui/credentials/" + id)
                    .raw(">").text(id).raw("</a></th><td data-label=\"Status\">");
            status(html, c.status());
            for (Moment moment : row.moments()) {
                html.raw("</td><td").attr("data-label", moment.label()).raw(">");
                time(html, moment.at(), now, moment.whenUnknown());
            }
            html.raw("</td><td data-label=\"Last error\" class=\"last-error\">").text(c.lastError().orElse("none"))
                    .raw("</td><td data-label=\"What to do\" class=\"todo\">").text(whatToDo(row)).raw("</td></tr>");
        }
        return html.raw("</tbody></table>").toString();
    }

    /**
     * A credential with its next planned refresh and the import forms of its provider.
     *
     * @param credential  the credential
     * @param nextRefresh its next planned refresh
     * @param importForms what its provider takes ({@link Renewal})
     * @param note        what kind of credential it is when that matters (one that cannot refresh)
     * @param ways        for one that needs a human, the other ways set up to bring it back (a sign-in, CookieCloud)
     */
    /**
     * @param last the last credential the overview's page shows
     * @return the link to the next page of the overview
     */
    static String nextPage(CredentialId last) {
        return new Html().raw("<p class=\"pages\"><a id=\"next-page\"").attr("href", "/ui/?after="
                + URLEncoder.encode(last.toString(), StandardCharsets.UTF_8)).raw(">Next credentials after ")
                .text(last.toString()).raw("</a></p>").toString();
    }

    record Row(StoredCredential credential, Optional<Instant> nextRefresh, Set<String> importForms, Optional<String> note,
               List<String> ways) {

        /** A row with no way set up besides pasting. */
        Row(StoredCredential credential, Optional<Instant> nextRefresh, Set<String> importForms, Optional<String> note) {
            this(credential, nextRefresh, importForms, note, List.of());
        }

        /** @return the times the table and the credential's page both show, in this order */
        List<Moment> moments() {
            return List.of(new Moment("Access token expires", credential.accessExpiresAt(), "unknown"),
                    new Moment("Next refresh", nextRefresh, "not planned"),
                    new Moment("Refresh token expires", credential.refreshExpiresAt(), "unknown"));
        }
    }

    /**
     * @param label       what the time is, a column or a term
     * @param at          the time, if there is one
     * @param whenUnknown what to show when there is none
     */
    record Moment(String label, Optional<Instant> at, String whenUnknown) {
    }

    static String credential(ConsoleSessions.Session session, Row row, List<HistoryChart.Mark> marks,
                             List<RefreshEvent> lastEvents, Optional<String> flash, Instant now) {
        StoredCredential c = row.credential();
        Html html = new Html();
        head(html, c.id().toString());
        nav(html, session);
        html.raw("<main id=\"main\"").attr("data-credential-id", c.id()).attr("data-status", c.status().wireName())
                .raw("><h1>").text(c.id()).raw("</h1>");
        flash(html, flash);
        html.raw("<dl class=\"facts\"><dt>Status</dt><dd>");
        status(html, c.status());
        html.raw("</dd><dt>Provider</dt><dd>").text(c.id().provider()).raw("</dd><dt>Account</dt><dd>").text(c.id().account());
        for (Moment moment : row.moments()) {
            html.raw("</dd><dt>").text(moment.label()).raw("</dt><dd>");
            time(html, moment.at(), now, moment.whenUnknown());
        }
        html.raw("</dd><dt>Last refresh</dt><dd>");
        time(html, c.lastRefreshAt(), now, "never");
        html.raw("</dd><dt>Last error</dt><dd class=\"last-error\">").text(c.lastError().orElse("none"))
                .raw("</dd><dt>What to do</dt><dd class=\"todo\">").text(whatToDo(row))
                .raw("</dd><dt>Version</dt><dd>").text(c.version()).raw("</dd></dl>");
        html.raw("<div class=\"actions\"><form method=\"post\"").attr("action", "/ui/credentials/" + c.id() + "/refresh").raw(">");
        csrf(html, session);
        html.raw("<button type=\"submit\" id=\"refresh-now\">Refresh now</button></form>")
                .raw("<a class=\"button danger\" id=\"delete\"").attr("href", "/ui/credentials/" + c.id() + "/delete")
                .raw(">Delete…</a>");
        if (c.status() == CredentialStatus.REQUIRES_CONFIGURATION) {
            html.raw("<a class=\"button\" id=\"reimport\"").attr("href", "/ui/import?provider=" + c.id().provider()
                    + "&account=" + c.id().account()).raw(">Import again</a>");
        }
        html.raw("</div><section aria-labelledby=\"history-title\"><h2 id=\"history-title\">Last 7 days</h2>");
        HistoryChart.render(html, marks, now);
        html.raw("</section><section aria-labelledby=\"events-title\"><h2 id=\"events-title\">Last ")
                .text(lastEvents.size()).raw(" events</h2>");
        if (lastEvents.isEmpty()) {
            html.raw("<p>No events yet.</p>");
        } else {
            html.raw("<table class=\"events\"><thead><tr><th scope=\"col\">When</th><th scope=\"col\">What</th>"
                    + "<th scope=\"col\">Detail</th><th scope=\"col\">Upstream time</th><th scope=\"col\">Version</th></tr></thead><tbody>");
            for (int i = lastEvents.size() - 1; i >= 0; i--) {
                RefreshEvent e = lastEvents.get(i);
                html.raw("<tr class=\"event\"><td data-label=\"When\">");
                time(html, Optional.of(e.at()), now, "");
                html.raw("</td><td data-label=\"What\">").text(e.outcome().wireName().replace('_', ' '))
                        .raw("</td><td data-label=\"Detail\">").text(e.detail().isEmpty() ? "—" : e.detail())
                        .raw("</td><td data-label=\"Upstream time\">").text(e.duration().toMillis() + " ms")
                        .raw("</td><td data-label=\"Version\">").text(e.version()).raw("</td></tr>");
            }
            html.raw("</tbody></table>");
        }
        html.raw("</section></main>");
        return foot(html);
    }

    static String confirmDelete(ConsoleSessions.Session session, StoredCredential c) {
        Html html = new Html();
        head(html, "Delete " + c.id());
        nav(html, session);
        html.raw("<main id=\"main\" class=\"narrow\"><h1>Delete ").text(c.id()).raw("?</h1>")
                .raw("<p>Its secret is removed from the store for good. Programs that read its token get an error until"
                        + " you import or authorize it again.</p><form method=\"post\"")
                .attr("action", "/ui/credentials/" + c.id() + "/delete").raw(" class=\"actions\">");
        csrf(html, session);
        html.raw("<input type=\"hidden\" name=\"confirm\" value=\"yes\">")
                .raw("<button type=\"submit\" class=\"danger\" id=\"confirm-delete\">Delete ").text(c.id()).raw("</button>")
                .raw("<a class=\"button\"").attr("href", "/ui/credentials/" + c.id()).raw(">Cancel</a></form></main>");
        return foot(html);
    }

    static String importForm(ConsoleSessions.Session session, List<String> providers, List<AuthorizeOption> authorize,
                             ImportState state, Optional<String> flash) {
        Html html = new Html();
        head(html, "Import");
        nav(html, session);
        html.raw("<main id=\"main\" class=\"narrow\"><h1>Import a credential</h1>");
        flash(html, flash);
        html.raw("<form method=\"post\" action=\"/ui/import\" class=\"stack\" id=\"import-form\">");
        csrf(html, session);
        html.raw("<label for=\"provider\">Provider</label><select id=\"provider\" name=\"provider\">");
        for (String p : providers) {
            html.raw("<option").attr("value", p).raw(p.equals(state.provider()) ? " selected>" : ">").text(p).raw("</option>");
        }
        html.raw("</select><label for=\"account\">Account</label>")
                .raw("<input id=\"account\" name=\"account\" required autocomplete=\"off\"").attr("value", state.account())
                .raw(" aria-describedby=\"account-help\"><p class=\"help\" id=\"account-help\">The credential is"
                        + " <code>provider:account</code>; <code>default</code> unless you keep several.</p>")
                .raw("<label for=\"secret\">Secret</label>")
                .raw("<textarea id=\"secret\" name=\"secret\" rows=\"6\" required autocomplete=\"off\" spellcheck=\"false\""
                        + " aria-describedby=\"secret-help");
        state.error().ifPresent(e -> html.raw(" secret-error"));
        html.raw("\"").raw(state.error().isPresent() ? " aria-invalid=\"true\"" : "").raw("></textarea>");
        state.error().ifPresent(e -> html.raw("<p class=\"error\" role=\"alert\" id=\"secret-error\">").text(e)
                .raw("</p><p class=\"help\">The secret was not kept: paste it again.</p>"));
        html.raw("<p class=\"help\" id=\"secret-help\">Paste one of: the <code>Cookie</code> header copied from a logged-in"
                        + " browser, a browser cookie export (JSON or <code>cookies.txt</code>), or a token JSON"
                        + " such as <code>{\"access_token\": …, \"refresh_token\": …}</code>, as the provider takes. It is checked with"
                        + " the provider, stored encrypted, and never shown again.</p>")
                .raw("<button type=\"submit\" id=\"import\">Import</button></form>");
        if (!authorize.isEmpty()) {
            html.raw("<section aria-labelledby=\"authorize-title\"><h2 id=\"authorize-title\">Authorize in the browser</h2>");
            for (AuthorizeOption option : authorize) {
                String name = title(option.provider());
                html.raw("<form method=\"post\" action=\"/ui/authorize\" class=\"stack\">");
                csrf(html, session);
                html.raw("<input type=\"hidden\" name=\"provider\"").attr("value", option.provider()).raw(">")
                        .raw("<label").attr("for", "authorize-account-" + option.provider()).raw(">").text(name)
                        .raw(" account</label><input name=\"account\" required autocomplete=\"off\"")
                        .attr("id", "authorize-account-" + option.provider()).attr("value", state.account()).raw(">");
                if (option.unavailable().isPresent()) {
                    html.raw("<p class=\"help\">").text(option.unavailable().get()).raw("</p>")
                            .raw("<button type=\"submit\" disabled>Authorize ").text(name).raw("</button>");
                } else {
                    html.raw("<p class=\"help\">Signs in at ").text(name).raw(" and comes back here with an"
                            + " authorization code (the redirect is <code>/ui/oauth/callback</code>).</p>")
                            .raw("<button type=\"submit\"").attr("id", "authorize-" + option.provider()).raw(">Authorize ")
                            .text(name).raw("</button>");
                }
                html.raw("</form>");
            }
            html.raw("</section>");
        }
        html.raw("</main>");
        return foot(html);
    }

    /** A page with one message: an authorization's end, a refusal, a missing credential. */
    static String message(Optional<ConsoleSessions.Session> session, String title, String message,
                          Optional<String> linkHref, String linkText) {
        Html html = new Html();
        head(html, title);
        session.ifPresent(s -> nav(html, s));
        html.raw("<main id=\"main\" class=\"narrow\"><h1>").text(title).raw("</h1><p id=\"message\">").text(message).raw("</p>");
        linkHref.ifPresent(href -> html.raw("<p><a id=\"continue\"").attr("href", href).raw(">").text(linkText).raw("</a></p>"));
        html.raw("</main>");
        return foot(html);
    }

    static String whatToDo(Row row) {
        StoredCredential c = row.credential();
        if (row.note().isPresent() && c.status() != CredentialStatus.ERROR) {
            return row.note().get() + ". Paste a new access token in the import box, or run `"
                    + Renewal.untilExpiryCommand(c.id(), row.importForms()) + "`.";
        }
        return switch (c.status()) {
            case ACTIVE -> "Nothing: it is refreshed before it expires.";
            case EXPIRED -> "tokenkeeper refreshes it on the next attempt; press Refresh now, or import it again if that fails.";
            case ERROR -> "Nothing yet: tokenkeeper retries with backoff. If it lasts, check the network and the upstream.";
            case REQUIRES_CONFIGURATION -> String.join(" ", row.ways()) + (row.ways().isEmpty() ? "" : " Or paste: ")
                    + Renewal.advice(title(c.id().provider()), row.importForms());
        };
    }

    static String title(String provider) {
        return provider.isEmpty() ? provider : Character.toUpperCase(provider.charAt(0)) + provider.substring(1);
    }

    private static void status(Html html, CredentialStatus status) {
        String symbol = switch (status) {
            case ACTIVE -> "✓";
            case EXPIRED -> "⌛";
            case ERROR -> "!";
            case REQUIRES_CONFIGURATION -> "✗";
        };
        html.raw("<span").attr("class", "status status-" + status.wireName()).raw("><span aria-hidden=\"true\">")
                .text(symbol).raw("</span> <span class=\"status-word\">").text(status.wireName()).raw("</span></span>");
    }

    private static void time(Html html, Optional<Instant> at, Instant now, String whenUnknown) {
        if (at.isEmpty()) {
            html.text(whenUnknown);
            return;
        }
        Instant t = at.get();
        String iso = RelativeTime.iso(t);
        html.raw("<time").attr("datetime", iso).raw(">").text(RelativeTime.absolute(t)).raw("</time> <span class=\"rel\"")
                .attr("data-at", iso).raw(">(").text(RelativeTime.relative(t, now)).raw(")</span>");
    }

    private static String minutes(double minutes) {
        return minutes == Math.rint(minutes) ? (long) minutes + " min" : minutes + " min";
    }

    private static void flash(Html html, Optional<String> flash) {
        flash.ifPresent(f -> html.raw("<p class=\"flash\" role=\"status\" id=\"flash\">").text(f).raw("</p>"));
    }

    private static void csrf(Html html, ConsoleSessions.Session session) {
        html.raw("<input type=\"hidden\" name=\"csrf\"").attr("value", session.csrf()).raw(">");
    }

    private static void head(Html html, String title) {
        html.raw("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .raw("<title>").text(title).raw(" · tokenkeeper</title>")
                .raw("<link rel=\"stylesheet\" href=\"/ui/static/console.css\">")
                .raw("<script src=\"/ui/static/console.js\" defer></script></head><body>")
                .raw("<a class=\"skip\" href=\"#main\">Skip to content</a>");
    }

    private static void nav(Html html, ConsoleSessions.Session session) {
        html.raw("<header><nav aria-label=\"Console\"><a href=\"/ui/\" class=\"brand\">tokenkeeper</a>")
                .raw("<a href=\"/ui/\">Overview</a><a href=\"/ui/import\">Import</a>")
                .raw("<form method=\"post\" action=\"/ui/logout\">");
        csrf(html, session);
        html.raw("<button type=\"submit\" id=\"logout\">Log out</button></form></nav></header>");
    }

    private static String foot(Html html) {
        return html.raw("</body></html>\n").toString();
    }
}
