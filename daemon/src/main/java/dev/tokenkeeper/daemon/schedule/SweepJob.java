package dev.tokenkeeper.daemon.schedule;

import org.quartz.Job;
import org.quartz.JobExecutionContext;

/**
 * Runs the periodic validation sweep. Created by {@link PipelineJobFactory}.
 *
 * @param sweep the sweep
 */
public record SweepJob(ValidationSweep sweep) implements Job {

    @Override
    public void execute(JobExecutionContext context) {
        sweep.run();
    }
}
