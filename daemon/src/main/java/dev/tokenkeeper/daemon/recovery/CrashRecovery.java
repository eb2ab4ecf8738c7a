package dev.tokenkeeper.daemon.recovery;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.store.DueWork;
import dev.tokenkeeper.daemon.refresh.LeaseOwners;
import dev.tokenkeeper.daemon.refresh.RefreshIntents;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.refresh.RefreshReport;
import org.tinylog.Logger;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * At start-up, resumes every refresh that was in flight when the daemon last stopped (a note left in
 * the state folder, or on a store with a due queue a row whose lease the previous run still holds):
 * the old refresh token is presented again at once, before anything else can use the credential. On
 * an upstream that keeps the old token valid until the new access token is used (Doorkeeper), this
 * recovers a chain whose answer was lost to a crash; on a strict one, the rejection turns the
 * credential {@code requires_configuration} with a reason saying why.
 */
public final class CrashRecovery {

    private static final Executor THREADS = task -> {
        Thread thread = new Thread(task, "refresh-recovery");
        thread.setDaemon(true);
        thread.start();
    };

    private CrashRecovery() {
    }

    /**
     * Starts the resumed refreshes; returns without waiting for them.
     *
     * @param intents  the notes
     * @param pipeline the refresh pipeline (its in-flight map makes other refreshes of these credentials
     *                 join the resumed ones)
     * @return how many refreshes were resumed
     */
    public static int resume(RefreshIntents intents, RefreshPipeline pipeline) {
        List<RefreshIntents.Intent> pending = intents.pending();
        for (RefreshIntents.Intent intent : pending) {
            Logger.warn("the refresh of {} was in flight when tokenkeeper stopped: presenting its old refresh token"
                    + " again now", intent.id());
            resume(intent, pipeline).whenComplete((report, failure) -> {
                if (failure != null || report instanceof RefreshReport.Skipped) {
                    // Nothing reached the upstream: the note is done with.
                    intents.end(intent.id());
                }
            });
        }
        return pending.size();
    }

    /**
     * On a store with a due queue: asks the store which rows the earlier runs on this state folder
     * still hold a lease on (claimed, or being refreshed, when the run stopped) and resumes each as
     * {@link #resume(RefreshIntents, RefreshPipeline)} resumes a note, on a thread of its own (the
     * store may have to read the whole table), so the start does not wait for it. Once every one is
     * handled, only this run's name stays in {@code owners}.
     *
     * @param owners   the lease owner names of this run and the earlier ones
     * @param due      the store's due queue
     * @param pipeline the refresh pipeline
     * @return when every resumed refresh is handled
     */
    public static CompletableFuture<Void> resumeLeased(LeaseOwners owners, DueWork due, RefreshPipeline pipeline) {
        if (owners.earlier().isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        THREADS.execute(() -> {
            try {
                List<CompletableFuture<RefreshReport>> resumed = new ArrayList<>();
                for (String owner : owners.earlier()) {
                    for (CredentialId id : due.leasedBy(owner)) {
                        Logger.warn("{} was claimed by this daemon's previous run ({}) when it stopped: presenting its"
                                + " refresh token again now", id, owner);
                        resumed.add(resume(new RefreshIntents.Intent(id, owner), pipeline));
                    }
                }
                CompletableFuture.allOf(resumed.toArray(CompletableFuture[]::new)).whenComplete((all, failure) -> {
                    try {
                        if (failure == null) {
                            owners.settled();
                        }
                    } catch (UncheckedIOException e) {
                        Logger.warn("{}", e.getMessage());
                    } finally {
                        done.complete(null);
                    }
                });
            } catch (RuntimeException e) {
                // The names stay: the next start asks again; meanwhile the leases run out for any daemon.
                Logger.warn("could not look for the claims of this daemon's previous run: {}", e.getMessage());
                done.complete(null);
            }
        });
        return done;
    }

    private static CompletableFuture<RefreshReport> resume(RefreshIntents.Intent intent, RefreshPipeline pipeline) {
        return pipeline.resume(intent, THREADS).whenComplete((report, failure) -> {
            if (failure != null) {
                Logger.warn("resuming the refresh of {} failed: {}", intent.id(), failure.getMessage());
            } else if (report instanceof RefreshReport.Refreshed) {
                Logger.info("recovered {} after the interrupted refresh", intent.id());
            }
        });
    }
}
