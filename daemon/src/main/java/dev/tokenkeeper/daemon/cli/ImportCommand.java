package dev.tokenkeeper.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.daemon.plugin.PluginLoader;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code tokenkeeper import}: hands a user's secret to the running daemon. */
@Command(name = "import", description = "Import a credential: a cookie string or file, or a token JSON, as the provider takes.",
        footerHeading = "%nImport forms (flag -> what the provider receives):%n",
        footer = {"  --cookie                  SecretInput.CookieHeader   (API field \"cookie\")",
                "  --cookie-file             SecretInput.CookieFile     (API field \"cookieFile\")",
                "  --token-json              SecretInput.TokenJson      (API field \"tokenJson\")",
                "  --access-token            SecretInput.AccessToken    (API field \"accessToken\")",
                "  --from-supabase-settings  SecretInput.TokenJson      (read from Supabase)",
                "  tokenkeeper authorize     SecretInput.AuthorizationCode (\"authorizationCode\")",
                "",
                "Forms each installed provider takes (bundled and from the plugins folder):"})
final class ImportCommand extends Subcommand implements Callable<Integer> {

    /** Larger inputs are certainly not a cookie string or a token. */
    private static final long MAX_INPUT_BYTES = 200 * 1024;

    @Parameters(index = "0", description = "provider id (see `tokenkeeper providers`)")
    String provider;

    @Mixin
    AccountOption account;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--cookie", description = "the Cookie header copied from the browser; - to read it from"
                + " stdin (keeps the session out of the process list and the shell history)")
        String cookie;

        @Option(names = "--cookie-file", description = "a cookies file (JSON export or cookies.txt); - for stdin")
        String cookieFile;

        @Option(names = "--token-json", description = "a token JSON file; - for stdin")
        String tokenJson;

        @Option(names = "--access-token", description = "an access token without its refresh token: the bare token,"
                + " `Bearer <token>` or the line `Authorization: Bearer <token>` copied from the browser's developer"
                + " tools; - for stdin (the usual way), or a file. Served until it expires; import again before then")
        String accessToken;

        @Option(names = "--from-supabase-settings",
                description = "the token existing deployments keep in Supabase (the provider's system_settings row); "
                        + "needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY")
        boolean fromSupabaseSettings;
    }

    /** Adds, after the footer, each installed provider's import forms, read when the help is shown. */
    @picocli.CommandLine.Spec
    void listProviderForms(picocli.CommandLine.Model.CommandSpec importSpec) {
        var usage = importSpec.usageMessage();
        usage.sectionMap().put("providerForms", help -> ImportForms.describe(common));
        List<String> keys = new ArrayList<>(usage.sectionKeys());
        keys.add("providerForms");
        usage.sectionKeys(keys);
    }

    @Override
    public Integer call() throws IOException {
        CredentialId id = new CredentialId(provider, account.name());
        Map<String, Object> body;
        if (source.cookie != null) {
            body = Map.of("cookie", source.cookie.equals("-") ? read("-").strip() : source.cookie);
        } else if (source.cookieFile != null) {
            body = Map.of("cookieFile", read(source.cookieFile));
        } else if (source.tokenJson != null) {
            body = Map.of("tokenJson", read(source.tokenJson));
        } else if (source.accessToken != null) {
            body = Map.of("accessToken", read(source.accessToken).strip());
        } else {
            body = Map.of("tokenJson", LegacySettingsReader.read(common.settings(),
                    PluginLoader.load(common.config().pluginDirectory()), provider));
        }
        JsonNode answer = daemon().put("/api/v1/credentials/" + id, body).orFail("import failed").body();
        JsonNode credential = answer.path("credential");
        out().printf("imported %s (%s), access token valid until %s, next refresh at %s%n",
                credential.path("id").asText(), credential.path("status").asText(),
                credential.path("accessExpiresAt").asText("unknown"), credential.path("nextRefreshAt").asText("unknown"));
        for (JsonNode warning : answer.path("warnings")) {
            err().println("warning: " + warning.asText());
        }
        return 0;
    }

    private static String read(String file) throws IOException {
        byte[] bytes;
        if (file.equals("-")) {
            bytes = System.in.readNBytes((int) MAX_INPUT_BYTES + 1);
        } else {
            Path path = Path.of(file);
            try {
                if (Files.size(path) > MAX_INPUT_BYTES) {
                    throw new IllegalArgumentException(file + " is larger than " + MAX_INPUT_BYTES / 1024
                            + " KiB: that is not a cookie or token file");
                }
                bytes = Files.readAllBytes(path);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("no such file: " + file);
            }
        }
        if (bytes.length > MAX_INPUT_BYTES) {
            throw new IllegalArgumentException("input is larger than " + MAX_INPUT_BYTES / 1024 + " KiB");
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
