package dev.tokenkeeper.daemon.schedule;

import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;

/**
 * Quartz's tick: hands every credential whose time has come to the refresh workers.
 *
 * @param dispatch the hand-over to the workers
 */
@DisallowConcurrentExecution
public record DispatchJob(Runnable dispatch) implements Job {

    @Override
    public void execute(JobExecutionContext context) {
        dispatch.run();
    }
}
