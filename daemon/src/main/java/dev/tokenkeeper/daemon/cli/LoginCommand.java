package dev.tokenkeeper.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code tokenkeeper login ID}: reads an account's username and password from stdin (two lines) and
 * has the daemon keep them sealed, to sign in with when the session is gone; {@code --forget}
 * removes them.
 */
@Command(name = "login", description = "Keep an account's username and password (stdin, two lines), sealed: the daemon"
        + " signs in with them in a headless Chromium when the session is gone.")
final class LoginCommand extends Subcommand implements Callable<Integer> {

    /** Longer lines are no username or password. */
    private static final int MAX_LINE = 4096;

    @Option(names = "--forget", description = "remove the stored username and password instead")
    boolean forget;

    @Mixin
    CredentialArgument id;

    @Override
    public Integer call() {
        String path = "/api/v1/credentials/" + id.credential() + "/sign-in";
        if (forget) {
            daemon().delete(path).orFail("login --forget failed");
            out().println(id.credential() + ": sign-in details removed");
            return 0;
        }
        String username;
        String password;
        try {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            username = line(in, "the username (first line)").strip();
            password = line(in, "the password (second line)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonNode answer = daemon().put(path, Map.of("username", username, "password", password)).orFail("login failed")
                .body();
        out().println(id.credential() + ": sign-in details stored, sealed"
                + ("started".equals(answer.path("signIn").asText()) ? "; signing in now (see `tokenkeeper status`)" : ""));
        return 0;
    }

    private static String line(BufferedReader in, String what) throws IOException {
        String line = in.readLine();
        if (line == null || line.isBlank()) {
            throw new IllegalArgumentException("stdin has no " + what + ": send the username and the password on two"
                    + " lines, e.g. printf '%s\\n%s\\n' \"$USER_NAME\" \"$PASSWORD\" | tokenkeeper login <provider>:<account>");
        }
        if (line.length() > MAX_LINE) {
            throw new IllegalArgumentException(what + " is longer than " + MAX_LINE + " characters");
        }
        // The password as typed: only a line end from Windows is not part of it.
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }
}
