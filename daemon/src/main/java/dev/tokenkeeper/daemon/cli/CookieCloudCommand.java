package dev.tokenkeeper.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.CredentialId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tokenkeeper cookiecloud link|list|unlink}: a CookieCloud browser extension that keeps an account's session flowing in. */
@Command(name = "cookiecloud", description = "Take an account's browser session from the CookieCloud extension.",
        subcommands = {CookieCloudCommand.Link.class, CookieCloudCommand.ListLinks.class, CookieCloudCommand.Unlink.class})
final class CookieCloudCommand extends CommandGroup {

    /** {@code tokenkeeper cookiecloud link <provider>:<account> --uuid <uuid>}, the password on stdin. */
    @Command(name = "link", description = "Link an account to the extension (its end-to-end password is read from"
            + " stdin) and print the server address and the header line to enter in the extension.")
    static final class Link extends Subcommand implements Callable<Integer> {

        @Mixin
        CredentialArgument credential;

        @Option(names = "--uuid", required = true, description = "the extension's uuid (its settings show it)")
        String uuid;

        @Mixin
        JsonOption json;

        @Override
        public Integer call() throws Exception {
            // One line: the password stays out of the process list and the shell history.
            String password = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (password == null || password.isEmpty()) {
                throw new IllegalArgumentException("no password on stdin: pipe the extension's end-to-end password,"
                        + " e.g. `read -rs P; printf '%s\\n' \"$P\" | tokenkeeper cookiecloud link "
                        + credential.credential() + " --uuid " + uuid + "`");
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("credential", credential.credential().toString());
            body.put("uuid", uuid);
            body.put("password", password);
            JsonNode linked = daemon().post("/api/v1/cookiecloud", body).orFail("cookiecloud link failed").body();
            if (json.printed(linked, out())) {
                return 0;
            }
            out().println("server address: " + linked.path("server").asText());
            out().println("header line:    " + linked.path("header").asText());
            err().println("enter both in the extension (docs/cookiecloud.md): the header line is shown this once;"
                    + " `tokenkeeper cookiecloud link` again replaces it. Use a browser profile of its own for "
                    + credential.credential() + ": tokenkeeper refreshes the session it receives, which ends the"
                    + " browser's copy");
            return 0;
        }
    }

    /** {@code tokenkeeper cookiecloud list}. */
    @Command(name = "list", description = "List the accounts linked to a CookieCloud extension (no secret is shown).")
    static final class ListLinks extends ListCommand {

        @Override
        String path() {
            return "/api/v1/cookiecloud";
        }

        @Override
        void print(JsonNode list) {
            list.forEach(link -> out().printf("%-32s linked %s%s%n", link.path("credential").asText(),
                    link.path("createdAt").asText(), link.path("authenticated").asBoolean() ? ""
                            : " (NOT authenticated: written without the master key, it imports nothing; unlink it)"));
            if (list.isEmpty()) {
                out().println("no CookieCloud links: make one with `tokenkeeper cookiecloud link <provider>:<account>"
                        + " --uuid <uuid>`");
            }
        }
    }

    /** {@code tokenkeeper cookiecloud unlink <provider>:<account>}. */
    @Command(name = "unlink", description = "Remove an account's link: its header line stops working at once.")
    static final class Unlink extends Subcommand implements Callable<Integer> {

        @Parameters(index = "0", description = "the linked credential, <provider>:<account>")
        String id;

        @Override
        public Integer call() {
            daemon().delete("/api/v1/cookiecloud/" + CredentialId.parse(id)).orFail("cookiecloud unlink failed");
            out().println("CookieCloud link of " + id + " removed");
            return 0;
        }
    }
}
