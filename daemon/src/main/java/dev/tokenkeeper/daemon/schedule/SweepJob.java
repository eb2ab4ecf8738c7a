package dev.tokenkeeper.daemon.schedule;

import org.quartz.Job;
import org.quartz.JobExecutionContext;

/** Runs the periodic validation sweep. Created by {@link PipelineJobFactory}. */
public final class SweepJob implements Job {

    private final ValidationSweep sweep;

    SweepJob(ValidationSweep sweep) {
        this.sweep = sweep;
    }

    @Override
    public void execute(JobExecutionContext context) {
        sweep.run();
    }
}
