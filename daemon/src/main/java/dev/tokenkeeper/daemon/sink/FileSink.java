package dev.tokenkeeper.daemon.sink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.config.ConfigurationException;
import dev.tokenkeeper.daemon.config.Settings;
import dev.tokenkeeper.daemon.refresh.LiveCredential;
import dev.tokenkeeper.daemon.refresh.RefreshListener;
import org.tinylog.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Hands the current token to consumers that read files: {@code <dir>/<provider>/<account>.token}
 * (the bare token) and {@code .json} (token, headers, expiry), each replaced atomically after every
 * committed import or refresh and at start, mode 0600 (0640 with a group). It is told only about
 * committed credentials, so it never holds a token that could still be rolled back. A deleted
 * credential's files are removed.
 * <p>
 * The folder must belong to the daemon's user and be writable by no one else (consumers only
 * read; the group, when set, reads): whoever could write it could plant a link that sends the
 * tokens, or a deletion, elsewhere, or swap the files consumers read. Every write and delete acts
 * on the opened folders and refuses a link ({@link SinkFolder}).
 */
public final class FileSink implements RefreshListener, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path directory;
    private final Optional<GroupPrincipal> group;
    private final Function<StoredCredential, Optional<LiveCredential>> opener;
    private final Clock clock;
    private final EffectiveUser user = EffectiveUser.current();
    private final Set<PosixFilePermission> fileMode;
    private final Set<PosixFilePermission> folderMode;
    /** What is written, in the store's order (by id), so that a sync finds the gone ones a page at a time. */
    private final NavigableMap<CredentialId, StoredCredential> written = new TreeMap<>(
            Comparator.comparing(CredentialId::toString));
    /** When each credential was deleted: a list read before the delete must not bring its files back. */
    private final Map<CredentialId, Instant> deleted = new HashMap<>();
    private ScheduledExecutorService sync;

    /**
     * @param directory the sink folder
     * @param group     the group consumers run in, if any (files then 0640)
     * @param opener    opens a committed credential (empty when it cannot be opened)
     * @param clock     the time
     */
    public FileSink(Path directory, Optional<GroupPrincipal> group, Function<StoredCredential, Optional<LiveCredential>> opener,
                    Clock clock) {
        this.directory = directory;
        this.group = group;
        this.opener = opener;
        this.clock = clock;
        this.fileMode = PosixFilePermissions.fromString(group.isPresent() ? "rw-r-----" : "rw-------");
        this.folderMode = PosixFilePermissions.fromString(group.isPresent() ? "rwxr-x---" : "rwx------");
    }

    /**
     * @param settings {@code TOKENKEEPER_SINK_DIR}, {@code TOKENKEEPER_SINK_GROUP}
     * @param opener   opens a committed credential
     * @param clock    the time
     * @return the sink, when a folder is configured
     * @throws ConfigurationException when the folder cannot be created, belongs to another user or is
     *                                writable by others (or a folder above it is), or the group does not exist
     */
    public static Optional<FileSink> fromSettings(Settings settings, Function<StoredCredential, Optional<LiveCredential>> opener,
                                                  Clock clock) {
        Optional<String> dir = settings.get("TOKENKEEPER_SINK_DIR");
        if (dir.isEmpty()) {
            return Optional.empty();
        }
        Path directory = Path.of(dir.get()).toAbsolutePath();
        Optional<GroupPrincipal> group = Optional.empty();
        Optional<String> groupName = settings.get("TOKENKEEPER_SINK_GROUP");
        try {
            if (groupName.isPresent()) {
                group = Optional.of(directory.getFileSystem().getUserPrincipalLookupService()
                        .lookupPrincipalByGroupName(groupName.get()));
            }
        } catch (IOException e) {
            throw new ConfigurationException("TOKENKEEPER_SINK_GROUP=" + groupName.get()
                    + " is not a group on this machine: create it or unset TOKENKEEPER_SINK_GROUP");
        }
        FileSink sink = new FileSink(directory, group, opener, clock);
        try (SinkFolder root = sink.root()) {
            Logger.debug("file sink in {}", root.path());
        } catch (RefusedPathException e) {
            throw new ConfigurationException("TOKENKEEPER_SINK_DIR=" + directory + " is refused: " + e.getMessage());
        } catch (IOException e) {
            throw new ConfigurationException("TOKENKEEPER_SINK_DIR=" + directory + " cannot be created ("
                    + e.getClass().getSimpleName() + "): create it, writable by the daemon's user");
        }
        return Optional.of(sink);
    }

    /** @return the sink folder */
    public Path directory() {
        return directory;
    }

    /**
     * Writes every active credential's token, at start.
     *
     * @param credentials every stored credential
     */
    public void writeAll(List<StoredCredential> credentials) {
        writeEach(credentials::forEach);
    }

    /**
     * Writes every active credential's token, at start, as a walk of the store hands them over (a
     * page at a time: the store is never held whole).
     *
     * @param credentials walks every stored credential
     */
    public void writeEach(Consumer<Consumer<StoredCredential>> credentials) {
        credentials.accept(credential -> changed(credential, Optional.empty()));
    }

    /**
     * Catches up, every {@code every}, with what this daemon was not told about: refreshes and
     * deletes committed by another daemon sharing the store, on a thread of its own that {@link #close()} stops.
     *
     * @param credentials walks every stored credential in id order, a page at a time
     * @param every       how often ({@code TOKENKEEPER_SINK_SYNC_SECONDS}, 60 s)
     */
    public synchronized void syncEvery(Consumer<Consumer<StoredCredential>> credentials, Duration every) {
        sync = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "file-sink-sync");
            thread.setDaemon(true);
            return thread;
        });
        sync.scheduleWithFixedDelay(() -> {
            try {
                syncOnce(credentials);
            } catch (RuntimeException e) {
                Logger.warn("file sink: sync skipped ({})", e.getClass().getSimpleName());
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * One catch-up. The walk is in id order, so a credential with files whose id the walk passed
     * without meeting it is gone: found between two credentials met, with nothing but the written
     * ones in memory.
     */
    void syncOnce(Consumer<Consumer<StoredCredential>> credentials) {
        AtomicReference<CredentialId> previous = new AtomicReference<>();
        credentials.accept(credential -> {
            changed(credential, Optional.empty());
            removeWrittenBetween(Optional.ofNullable(previous.get()), Optional.of(credential.id()));
            previous.set(credential.id());
        });
        removeWrittenBetween(Optional.ofNullable(previous.get()), Optional.empty());
    }

    /** Removes the files of written credentials after {@code after} and before {@code before} (both excluded). */
    private void removeWrittenBetween(Optional<CredentialId> after, Optional<CredentialId> before) {
        List<CredentialId> gone;
        synchronized (this) {
            NavigableMap<CredentialId, StoredCredential> between = written;
            if (after.isPresent()) {
                between = between.tailMap(after.get(), false);
            }
            if (before.isPresent()) {
                between = between.headMap(before.get(), false);
            }
            gone = List.copyOf(between.keySet());
        }
        gone.forEach(this::removed);
    }

    @Override
    public synchronized void changed(StoredCredential credential, Optional<Instant> nextAttempt) {
        if (credential.status() != CredentialStatus.ACTIVE) {
            return;
        }
        Instant deletedAt = deleted.get(credential.id());
        if (deletedAt != null) {
            if (!credential.updatedAt().isAfter(deletedAt)) {
                return;
            }
            deleted.remove(credential.id());
        }
        StoredCredential last = written.get(credential.id());
        if (last != null && (last.version() > credential.version()
                || (last.version() == credential.version() && last.secret().equals(credential.secret())))) {
            return;
        }
        if (last != null && last.secret().equals(credential.secret())) {
            written.put(credential.id(), credential);
            return;
        }
        Optional<LiveCredential> live = opener.apply(credential);
        if (live.isEmpty()) {
            return;
        }
        try {
            write(live.get());
            written.put(credential.id(), credential);
        } catch (RefusedPathException e) {
            Logger.warn("file sink: the token of {} is not written: {}", credential.id(), e.getMessage());
        } catch (IOException | RuntimeException e) {
            Logger.error("file sink: could not write the token of {} under {} ({}: {}); consumers keep the previous file",
                    credential.id(), directory, e.getClass().getSimpleName(), safeMessage(e));
        }
    }

    @Override
    public synchronized void removed(CredentialId id) {
        written.remove(id);
        deleted.put(id, clock.instant());
        try (SinkFolder root = root()) {
            Optional<SinkFolder> folder = root.folder(id.provider(), false, folderMode, group, user);
            if (folder.isEmpty()) {
                return;
            }
            try (SinkFolder found = folder.get()) {
                boolean token = found.delete(id.account() + ".token");
                boolean json = found.delete(id.account() + ".json");
                if (token || json) {
                    Logger.info("file sink: removed the files of {}", id);
                }
            }
        } catch (RefusedPathException e) {
            Logger.warn("file sink: the files of {} are not removed: {}", id, e.getMessage());
        } catch (IOException e) {
            Logger.error("file sink: could not remove the files of {} ({})", id, e.getClass().getSimpleName());
        }
    }

    private void write(LiveCredential live) throws IOException {
        CredentialId id = live.stored().id();
        ObjectNode json = JSON.createObjectNode();
        json.put("credential", id.toString());
        json.put("provider", id.provider());
        json.put("account", id.account());
        json.put("token", live.presentation().token());
        ObjectNode headers = json.putObject("headers");
        live.presentation().headers().forEach(headers::put);
        json.put("accessExpiresAt", live.stored().accessExpiresAt().map(Instant::toString).orElse(null));
        json.put("refreshExpiresAt", live.stored().refreshExpiresAt().map(Instant::toString).orElse(null));
        json.put("version", live.stored().version());
        json.put("writtenAt", clock.instant().toString());
        try (SinkFolder root = root();
             SinkFolder folder = root.folder(id.provider(), true, folderMode, group, user).orElseThrow()) {
            folder.replace(id.account() + ".json", JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json), fileMode, group);
            folder.replace(id.account() + ".token", live.presentation().token().getBytes(StandardCharsets.UTF_8), fileMode, group);
        }
        Logger.debug("file sink: wrote {} (version {})", id, live.stored().version());
    }

    /** Opened for each write: a folder replaced or changed since the start is checked again. */
    private SinkFolder root() throws IOException {
        return SinkFolder.openRoot(directory, folderMode, group, user);
    }

    /** File-system messages name paths only; still, cut them short. */
    private static String safeMessage(Exception e) {
        String message = String.valueOf(e.getMessage());
        return message.length() > 200 ? message.substring(0, 200) + "..." : message;
    }

    /**
     * Stops catching up. A catch-up under way finishes (up to 10 s): interrupted, it would leave its
     * temporary file behind.
     */
    @Override
    public void close() {
        ScheduledExecutorService running;
        synchronized (this) {
            running = sync;
        }
        if (running == null) {
            return;
        }
        running.shutdown();
        try {
            if (!running.awaitTermination(10, TimeUnit.SECONDS)) {
                Logger.warn("file sink: a catch-up still running after 10 s; stopping anyway");
                running.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
