package dev.tokenkeeper.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code tokenkeeper rekey}: the running daemon generates a new master key and re-seals every
 * credential with it; the old key stays readable. Safe to run again after an interruption.
 */
@Command(name = "rekey", description = "Generate a new master key and re-seal every credential with it (old key kept readable).")
final class RekeyCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--reseal-only", description = "do not generate a key: re-seal everything with the current key"
            + " (after rotating a configured key by hand)")
    boolean resealOnly;

    @Option(names = "--keep-old", description = "keep the old key readable (a fleet rolling the key out in stages);"
            + " destroy it later with --finish")
    boolean keepOld;

    @Option(names = "--finish", description = "re-seal what is left on an old key, then destroy the old keys")
    boolean finish;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        JsonNode outcome = daemon()
                .post("/api/v1/rekey" + (resealOnly ? "?resealOnly=true" : finish ? "?finish=true" : keepOld ? "?keepOld=true" : ""),
                        Map.of())
                .orFail("rekey refused").body();
        PrintWriter out = out();
        if (json.on()) {
            out.println(outcome.toPrettyString());
        } else {
            String how = outcome.path("rotated").asBoolean() ? "new master key " : outcome.path("resumed").asBoolean()
                    ? "resumed the unfinished rekey to key " : "current key ";
            out.printf("%s%s: %d credentials re-sealed, %d already on it, %d failed; old keys still readable: %s"
                            + " (a rekey without --keep-old, or --finish, destroys them)%n",
                    how, outcome.path("currentKeyId").asText(), outcome.path("resealed").size(),
                    outcome.path("alreadyCurrent").size(), outcome.path("failed").size(),
                    outcome.path("retiredKeyIds").isEmpty() ? "none" : outcome.path("retiredKeyIds").toString());
        }
        for (JsonNode failure : outcome.path("failed")) {
            err().println("not re-sealed: " + failure.path("id").asText() + ": "
                    + failure.path("reason").asText());
        }
        if (!outcome.path("failed").isEmpty()) {
            err().println("run `tokenkeeper rekey` again once the failures are fixed: it"
                    + " finishes the remainder without generating another key");
            return 1;
        }
        JsonNode purge = outcome.path("purge");
        if (purge.isObject()) {
            String summary = purge.path("summary").asText();
            if (!purge.path("oldKeysDestroyed").asBoolean()) {
                err().println("old key(s) " + outcome.path("retiredKeyIds") + " kept, not destroyed: the purge of their"
                        + " ciphertexts is not confirmed: " + summary);
                return 1;
            }
            if (!json.on()) {
                out.println(("out-of-reach".equals(purge.path("result").asText()) ? "note: " : "purged: ") + summary);
            }
        }
        return 0;
    }
}
