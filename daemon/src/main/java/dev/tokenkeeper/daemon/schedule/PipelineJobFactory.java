package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import org.quartz.Job;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.spi.JobFactory;
import org.quartz.spi.TriggerFiredBundle;

import java.util.function.Consumer;

/** Hands Quartz jobs that already know the pipeline, instead of letting it instantiate them reflectively. */
final class PipelineJobFactory implements JobFactory {

    private final RefreshPipeline pipeline;
    private final ValidationSweep sweep;
    private final Consumer<StoredCredential> replan;

    PipelineJobFactory(RefreshPipeline pipeline, ValidationSweep sweep, Consumer<StoredCredential> replan) {
        this.pipeline = pipeline;
        this.sweep = sweep;
        this.replan = replan;
    }

    @Override
    public Job newJob(TriggerFiredBundle bundle, Scheduler scheduler) throws SchedulerException {
        Class<? extends Job> type = bundle.getJobDetail().getJobClass();
        if (type == RefreshJob.class) {
            return new RefreshJob(pipeline, replan);
        }
        if (type == SweepJob.class) {
            return new SweepJob(sweep);
        }
        throw new SchedulerException("unknown job class " + type.getName());
    }
}
