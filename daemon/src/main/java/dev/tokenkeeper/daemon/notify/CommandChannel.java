package dev.tokenkeeper.daemon.notify;

import org.tinylog.Logger;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a program per event ({@code /bin/sh -c <command>}) with the event's JSON on stdin and
 * {@code TOKENKEEPER_EVENT} and {@code TOKENKEEPER_CREDENTIAL} in its environment. The program gets
 * a small environment of its own (PATH, HOME, locale), not the daemon's, which holds the client
 * secrets and passphrases. Its output (at most 4 KiB) goes to the log; a non-zero exit or a
 * timeout is retried like a failed webhook.
 */
public final class CommandChannel implements Channel {

    private static final int MAX_OUTPUT = 4096;
    private static final List<String> PASSED_ON = List.of("PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME", "TMPDIR");

    private final String command;
    private final Duration timeout;

    /**
     * @param command the command line, run by {@code /bin/sh -c}
     * @param timeout the longest it may run
     */
    public CommandChannel(String command, Duration timeout) {
        this.command = command;
        this.timeout = timeout;
    }

    @Override
    public String kind() {
        return "command";
    }

    @Override
    public String name() {
        return "command";
    }

    @Override
    public String describe() {
        // The arguments may hold a token of the user's own; the program name is enough to recognise it.
        String program = command.trim().split("\\s+", 2)[0];
        return "command " + program + (command.trim().contains(" ") ? " ..." : "");
    }

    @Override
    public Delivery deliver(Notification notification) {
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true);
        Map<String, String> environment = builder.environment();
        Map<String, String> inherited = Map.copyOf(environment);
        environment.clear();
        PASSED_ON.forEach(name -> {
            if (inherited.containsKey(name)) {
                environment.put(name, inherited.get(name));
            }
        });
        environment.putIfAbsent("PATH", "/usr/local/bin:/usr/bin:/bin");
        environment.put("TOKENKEEPER_EVENT", notification.event().wireName());
        environment.put("TOKENKEEPER_CREDENTIAL", notification.credential());
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return new Delivery.Retry("cannot start " + describe() + ": " + e.getClass().getSimpleName());
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> drain(process.getInputStream(), output), "notify-command-output");
        reader.setDaemon(true);
        reader.start();
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(notification.toJson().toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // The program did not read its stdin; its exit status decides.
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                log(notification, output);
                return new Delivery.Retry(describe() + " did not finish within " + timeout.toSeconds() + " s and was killed");
            }
            reader.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return new Delivery.Retry("interrupted");
        }
        log(notification, output);
        int exit = process.exitValue();
        return exit == 0 ? new Delivery.Delivered("exit 0") : new Delivery.Retry(describe() + " exited with " + exit);
    }

    private static void drain(InputStream in, ByteArrayOutputStream output) {
        byte[] buffer = new byte[1024];
        try (in) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                synchronized (output) {
                    int room = MAX_OUTPUT - output.size();
                    if (room > 0) {
                        output.write(buffer, 0, Math.min(room, read));
                    }
                }
            }
        } catch (IOException e) {
            // The process ended.
        }
    }

    private void log(Notification notification, ByteArrayOutputStream output) {
        String text;
        synchronized (output) {
            text = output.toString(StandardCharsets.UTF_8);
        }
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                Logger.info("notify {} for {} {}: {}", describe(), notification.event().wireName(), notification.credential(),
                        line.replaceAll("\\p{Cntrl}", "?"));
            }
        }
    }

    /** @return the redacted description */
    @Override
    public String toString() {
        return describe();
    }
}
