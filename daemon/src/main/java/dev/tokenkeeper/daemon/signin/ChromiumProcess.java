package dev.tokenkeeper.daemon.signin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One headless Chromium with a profile folder of its own, listening for the DevTools protocol on a
 * port it picks: started by {@link #start}, and on {@link #close()} killed with every process it
 * started and its profile folder removed, whatever happened in between.
 */
final class ChromiumProcess implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(50);
    private static final Duration KILL_WAIT = Duration.ofSeconds(5);

    private final Process process;
    private final Path profile;

    private ChromiumProcess(Process process, Path profile) {
        this.process = process;
        this.profile = profile;
    }

    /**
     * @param binary       the browser's executable
     * @param profileRoot  the folder the profile folder is made in (the state folder's)
     * @param startTimeout how long the browser may take to open its DevTools port
     * @return the running browser
     * @throws SignInException when it cannot be started or does not open its port in time (it is then killed)
     */
    static ChromiumProcess start(Path binary, Path profileRoot, Duration startTimeout) {
        Path profile;
        try {
            Files.createDirectories(profileRoot);
            profile = Files.createTempDirectory(profileRoot, "chromium-");
        } catch (IOException e) {
            throw new SignInException("cannot make a browser profile folder under " + profileRoot + ": " + e.getMessage());
        }
        ProcessBuilder builder = new ProcessBuilder(List.of(binary.toString(), "--headless=new", "--no-sandbox",
                "--remote-debugging-port=0", "--user-data-dir=" + profile, "--no-first-run", "--no-default-browser-check",
                "--disable-gpu", "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--password-store=basic", "--use-mock-keychain", "about:blank"))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            delete(profile);
            throw new SignInException("cannot start the browser " + binary + " (" + e.getMessage()
                    + "): install Debian's chromium or set TOKENKEEPER_CHROMIUM");
        }
        ChromiumProcess chromium = new ChromiumProcess(process, profile);
        try {
            chromium.awaitPortFile(startTimeout);
        } catch (RuntimeException e) {
            chromium.close();
            throw e;
        }
        return chromium;
    }

    /** @return the browser-level DevTools WebSocket address, from the profile's {@code DevToolsActivePort} */
    URI devToolsAddress() {
        try {
            List<String> lines = Files.readAllLines(profile.resolve("DevToolsActivePort"), StandardCharsets.UTF_8);
            return URI.create("ws://127.0.0.1:" + Integer.parseInt(lines.get(0).strip()) + lines.get(1).strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitPortFile(Duration timeout) {
        Path file = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (Files.readAllLines(file, StandardCharsets.UTF_8).size() >= 2) {
                    return;
                }
            } catch (NoSuchFileException e) {
                // not written yet
            } catch (IOException e) {
                throw new SignInException("cannot read the browser's DevToolsActivePort: " + e.getMessage());
            }
            if (!process.isAlive()) {
                throw new SignInException("the browser exited at start with code " + process.exitValue()
                        + ": run it by hand (chromium --headless=new --no-sandbox) to see why");
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SignInException("interrupted while the browser started");
            }
        }
        throw new SignInException("the browser did not open its DevTools port within " + timeout.toSeconds() + " s");
    }

    /** @return whether the browser process still runs */
    boolean isAlive() {
        return process.isAlive();
    }

    /** Kills the browser and the processes it started (renderers, GPU, zygote), then removes the profile. */
    @Override
    public void close() {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            for (ProcessHandle child : children) {
                child.onExit().get(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // A child that outlives the wait has been sent SIGKILL; nothing more can be done.
        }
        delete(profile);
    }

    private static void delete(Path folder) {
        try (Stream<Path> files = Files.walk(folder)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        } catch (IOException e) {
            // Already gone, or a file the browser still held; the next start makes a new folder.
        }
    }
}
