package dev.tokenkeeper.daemon.schedule;

import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;

/** Quartz's tick: hands every credential whose time has come to the refresh workers. */
@DisallowConcurrentExecution
public final class DispatchJob implements Job {

    private final Runnable dispatch;

    DispatchJob(Runnable dispatch) {
        this.dispatch = dispatch;
    }

    @Override
    public void execute(JobExecutionContext context) {
        dispatch.run();
    }
}
