package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.refresh.RefreshReport;
import dev.tokenkeeper.daemon.refresh.RefreshTrigger;
import org.quartz.Job;
import org.quartz.JobExecutionContext;
import org.tinylog.Logger;

import java.util.function.Consumer;

/** Fires a credential's planned refresh. Created by {@link PipelineJobFactory}. */
public final class RefreshJob implements Job {

    static final String CREDENTIAL = "credential";
    static final String RETRY = "retry";

    private final RefreshPipeline pipeline;
    private final Consumer<StoredCredential> replan;

    RefreshJob(RefreshPipeline pipeline, Consumer<StoredCredential> replan) {
        this.pipeline = pipeline;
        this.replan = replan;
    }

    @Override
    public void execute(JobExecutionContext context) {
        CredentialId id = CredentialId.parse(context.getMergedJobDataMap().getString(CREDENTIAL));
        try {
            boolean retry = context.getMergedJobDataMap().getBooleanValue(RETRY);
            RefreshReport report = pipeline.refresh(id, retry ? new RefreshTrigger.Retry() : new RefreshTrigger.Scheduled());
            if (report instanceof RefreshReport.Skipped) {
                // Nothing was committed, so nothing re-planned it: put it back on the schedule.
                replan.accept(report.credential());
            }
        } catch (RuntimeException e) {
            Logger.error("scheduled refresh of {} failed: {}", id, e.getMessage());
        }
    }
}
