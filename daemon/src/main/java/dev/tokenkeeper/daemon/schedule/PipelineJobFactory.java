package dev.tokenkeeper.daemon.schedule;

import org.quartz.Job;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.spi.JobFactory;
import org.quartz.spi.TriggerFiredBundle;

/** Hands Quartz jobs that already know what to run, instead of letting it instantiate them reflectively. */
final class PipelineJobFactory implements JobFactory {

    private final Runnable dispatch;
    private final ValidationSweep sweep;

    PipelineJobFactory(Runnable dispatch, ValidationSweep sweep) {
        this.dispatch = dispatch;
        this.sweep = sweep;
    }

    @Override
    public Job newJob(TriggerFiredBundle bundle, Scheduler scheduler) throws SchedulerException {
        Class<? extends Job> type = bundle.getJobDetail().getJobClass();
        if (type == DispatchJob.class) {
            return new DispatchJob(dispatch);
        }
        if (type == SweepJob.class) {
            return new SweepJob(sweep);
        }
        throw new SchedulerException("unknown job class " + type.getName());
    }
}
