package dev.tokenkeeper.daemon.recovery;

import dev.tokenkeeper.daemon.refresh.RefreshIntents;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.refresh.RefreshReport;
import org.tinylog.Logger;

import java.util.List;
import java.util.concurrent.Executor;

/**
 * At start-up, resumes every refresh that was in flight when the daemon last stopped (a note left in
 * the state folder): the old refresh token is presented again at once, before anything else can use
 * the credential. On an upstream that keeps the old token valid until the new access token is used
 * (Doorkeeper), this recovers a chain whose answer was lost to a crash; on a strict one, the
 * rejection turns the credential {@code requires_configuration} with a reason saying why.
 */
public final class CrashRecovery {

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
        Executor executor = task -> {
            Thread thread = new Thread(task, "refresh-recovery");
            thread.setDaemon(true);
            thread.start();
        };
        for (RefreshIntents.Intent intent : pending) {
            Logger.warn("the refresh of {} was in flight when tokenkeeper stopped: presenting its old refresh token"
                    + " again now", intent.id());
            pipeline.resume(intent, executor).whenComplete((report, failure) -> {
                if (failure != null || report instanceof RefreshReport.Skipped) {
                    // Nothing reached the upstream: the note is done with.
                    intents.end(intent.id());
                }
                if (failure != null) {
                    Logger.warn("resuming the refresh of {} failed: {}", intent.id(), failure.getMessage());
                } else if (report instanceof RefreshReport.Refreshed) {
                    Logger.info("recovered {} after the interrupted refresh", intent.id());
                }
            });
        }
        return pending.size();
    }
}
