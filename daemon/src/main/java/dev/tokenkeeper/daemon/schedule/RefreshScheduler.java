package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.refresh.RefreshListener;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.quartz.impl.StdSchedulerFactory;
import org.tinylog.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * Puts every credential on a Quartz trigger at its planned refresh time, and runs the validation
 * sweep every interval. Stopping it pauses both; tokens are still served and refreshed on demand.
 */
public final class RefreshScheduler implements RefreshListener, AutoCloseable {

    private static final String REFRESH_GROUP = "refresh";
    private static final JobKey SWEEP_JOB = JobKey.jobKey("sweep", "sweep");
    private static final TriggerKey SWEEP_TRIGGER = TriggerKey.triggerKey("sweep", "sweep");

    private final Scheduler quartz;
    private final RefreshPipeline pipeline;
    private final boolean autoRefreshEnabled;
    private volatile Duration interval;
    private volatile boolean active;

    /**
     * @param pipeline           the refresh pipeline
     * @param credentials        reads every stored credential
     * @param threads            Quartz worker threads (refreshes running at once)
     * @param interval           the validation sweep interval
     * @param autoRefreshEnabled whether to start active
     * @throws SchedulerException when Quartz cannot start
     */
    public RefreshScheduler(RefreshPipeline pipeline, java.util.function.Supplier<List<StoredCredential>> credentials,
                            int threads, Duration interval, boolean autoRefreshEnabled) throws SchedulerException {
        this.pipeline = pipeline;
        this.interval = interval;
        this.autoRefreshEnabled = autoRefreshEnabled;
        Properties properties = new Properties();
        properties.setProperty("org.quartz.scheduler.instanceName", "tokenkeeper");
        properties.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
        properties.setProperty("org.quartz.threadPool.threadCount", Integer.toString(threads));
        properties.setProperty("org.quartz.threadPool.threadNamePrefix", "refresh");
        properties.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
        properties.setProperty("org.quartz.jobStore.misfireThreshold", "1000");
        this.quartz = new StdSchedulerFactory(properties).getScheduler();
        ValidationSweep sweep = new ValidationSweep(pipeline, credentials, this::plan);
        quartz.setJobFactory(new PipelineJobFactory(pipeline, sweep, this::plan));
        quartz.addJob(JobBuilder.newJob(RefreshJob.class).withIdentity("refresh", REFRESH_GROUP).storeDurably().build(), true);
        quartz.addJob(JobBuilder.newJob(SweepJob.class).withIdentity(SWEEP_JOB).storeDurably().build(), true);
        scheduleSweep();
        pipeline.addListener(this);
        for (StoredCredential credential : credentials.get()) {
            plan(credential);
        }
        quartz.start();
        if (!autoRefreshEnabled) {
            quartz.standby();
        }
        this.active = autoRefreshEnabled;
    }

    /** @return the state existing callers read */
    public SchedulerState state() {
        return new SchedulerState(active, autoRefreshEnabled, interval.toMillis() / 60_000.0);
    }

    /**
     * Resumes scheduled refreshes and the sweep; overdue ones fire at once.
     *
     * @return the new state
     */
    public synchronized SchedulerState start() {
        try {
            quartz.start();
            active = true;
            Logger.info("scheduler started (validation every {} min)", state().intervalMinutes());
        } catch (SchedulerException e) {
            throw new IllegalStateException("scheduler could not start: " + e.getMessage(), e);
        }
        return state();
    }

    /**
     * Pauses scheduled refreshes and the sweep.
     *
     * @return the new state
     */
    public synchronized SchedulerState stop() {
        try {
            quartz.standby();
            active = false;
            Logger.info("scheduler stopped: tokens are still served and refreshed on demand");
        } catch (SchedulerException e) {
            throw new IllegalStateException("scheduler could not stop: " + e.getMessage(), e);
        }
        return state();
    }

    /**
     * Stops, optionally changes the sweep interval, and starts again.
     *
     * @param newInterval the new sweep interval, if any
     * @return the new state
     */
    public synchronized SchedulerState restart(Optional<Duration> newInterval) {
        stop();
        newInterval.ifPresent(value -> {
            interval = value;
            scheduleSweep();
        });
        return start();
    }

    @Override
    public void changed(StoredCredential credential, Optional<Instant> nextAttempt) {
        if (nextAttempt.isPresent()) {
            fireAt(credential.id(), nextAttempt.get(), true);
        } else {
            plan(credential);
        }
    }

    @Override
    public void removed(CredentialId id) {
        try {
            quartz.unscheduleJob(triggerKey(id));
        } catch (SchedulerException e) {
            Logger.warn("could not unschedule {}: {}", id, e.getMessage());
        }
    }

    /**
     * Puts a credential on the schedule at its planned time (or takes it off when it needs a human).
     *
     * @param credential the credential
     */
    public void plan(StoredCredential credential) {
        if (credential.status() == CredentialStatus.REQUIRES_CONFIGURATION) {
            removed(credential.id());
            return;
        }
        fireAt(credential.id(), pipeline.plan(credential), false);
    }

    /**
     * @param id a credential
     * @return when its trigger fires next, if scheduled
     */
    public Optional<Instant> nextFireTime(CredentialId id) {
        try {
            Trigger trigger = quartz.getTrigger(triggerKey(id));
            return Optional.ofNullable(trigger).map(Trigger::getNextFireTime).map(Date::toInstant);
        } catch (SchedulerException e) {
            return Optional.empty();
        }
    }

    private void fireAt(CredentialId id, Instant at, boolean retry) {
        Trigger trigger = TriggerBuilder.newTrigger()
                .withIdentity(triggerKey(id))
                .forJob("refresh", REFRESH_GROUP)
                .usingJobData(RefreshJob.CREDENTIAL, id.toString())
                .usingJobData(RefreshJob.RETRY, retry)
                .startAt(Date.from(at))
                .withSchedule(SimpleScheduleBuilder.simpleSchedule().withMisfireHandlingInstructionFireNow())
                .build();
        try {
            if (quartz.checkExists(trigger.getKey())) {
                quartz.rescheduleJob(trigger.getKey(), trigger);
            } else {
                quartz.scheduleJob(trigger);
            }
        } catch (SchedulerException e) {
            Logger.error("could not schedule the refresh of {}: {}", id, e.getMessage());
        }
    }

    private void scheduleSweep() {
        Trigger trigger = TriggerBuilder.newTrigger()
                .withIdentity(SWEEP_TRIGGER)
                .forJob(SWEEP_JOB)
                .startAt(Date.from(Instant.now().plus(interval)))
                .withSchedule(SimpleScheduleBuilder.simpleSchedule()
                        .withIntervalInMilliseconds(Math.max(1000, interval.toMillis()))
                        .repeatForever()
                        .withMisfireHandlingInstructionNextWithRemainingCount())
                .build();
        try {
            if (quartz.checkExists(SWEEP_TRIGGER)) {
                quartz.rescheduleJob(SWEEP_TRIGGER, trigger);
            } else {
                quartz.scheduleJob(trigger);
            }
        } catch (SchedulerException e) {
            throw new IllegalStateException("could not schedule the validation sweep: " + e.getMessage(), e);
        }
    }

    private static TriggerKey triggerKey(CredentialId id) {
        return TriggerKey.triggerKey(id.toString(), REFRESH_GROUP);
    }

    /**
     * Stops firing and waits (bounded by the caller's patience) for running refreshes to finish.
     */
    @Override
    public void close() {
        try {
            quartz.shutdown(true);
        } catch (SchedulerException e) {
            Logger.warn("scheduler shutdown: {}", e.getMessage());
        }
    }
}
