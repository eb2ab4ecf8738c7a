package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.refresh.RefreshTrigger;
import org.quartz.Job;
import org.quartz.JobExecutionContext;
import org.tinylog.Logger;

/** Fires a credential's planned refresh. Created by {@link PipelineJobFactory}. */
public final class RefreshJob implements Job {

    static final String CREDENTIAL = "credential";

    private final RefreshPipeline pipeline;

    RefreshJob(RefreshPipeline pipeline) {
        this.pipeline = pipeline;
    }

    @Override
    public void execute(JobExecutionContext context) {
        CredentialId id = CredentialId.parse(context.getMergedJobDataMap().getString(CREDENTIAL));
        try {
            pipeline.refresh(id, new RefreshTrigger.Scheduled());
        } catch (RuntimeException e) {
            Logger.error("scheduled refresh of {} failed: {}", id, e.getMessage());
        }
    }
}
