package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.store.DueWork;
import dev.tokenkeeper.daemon.crypto.UnsealException;
import dev.tokenkeeper.daemon.refresh.RefreshListener;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.refresh.RefreshReport;
import dev.tokenkeeper.daemon.refresh.RefreshTrigger;
import org.quartz.JobBuilder;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.quartz.impl.DirectSchedulerFactory;
import org.quartz.simpl.RAMJobStore;
import org.tinylog.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Plans every credential's next refresh and runs the validation sweep every interval, both driven
 * by Quartz: a dispatch trigger ticks every {@code TOKENKEEPER_SCHEDULER_TICK_MILLIS} (200 ms) and
 * hands the credentials whose time has come to a pool of refresh workers; the sweep has its own
 * trigger. The plan itself is a {@link DueQueue} (O(log n) per change) rather than one Quartz
 * trigger per credential, because Quartz's in-memory store makes each trigger change O(n).
 * Stopping pauses both; tokens are still served and refreshed on demand.
 *
 * <p>On a store with a due queue of its own ({@link DueWork}, chosen with {@link #planIn} before the
 * start) the plan is the store's ({@link StorePlan}): nothing is read at start, each tick claims as
 * many due rows as there are free workers, a refresh commits its next due time with it, and a claim
 * that needed no refresh is given back with its next due time. The validation sweep is folded into
 * the same queue there: a credential is next due at the earlier of its refresh time and its next
 * validation (the sweep interval from now, less a jitter of up to a tenth of it), and a claimed row
 * that is not due for a refresh is validated. Provider spacing ({@link ProviderSpacing}) is this
 * daemon's and applies to the memory plan only; on the store's plan each daemon's provider gate
 * still limits its own upstream calls.
 */
public final class RefreshScheduler implements RefreshListener, AutoCloseable {

    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private static final JobKey DISPATCH_JOB = JobKey.jobKey("dispatch", "refresh");
    private static final TriggerKey DISPATCH_TRIGGER = TriggerKey.triggerKey("dispatch", "refresh");
    private static final JobKey SWEEP_JOB = JobKey.jobKey("sweep", "sweep");
    private static final TriggerKey SWEEP_TRIGGER = TriggerKey.triggerKey("sweep", "sweep");
    /** How long a stop waits for the ticks, then for the running refreshes. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(30);
    /**
     * On the store's plan, claimed rows in this daemon (refreshing or queued for a worker) at most this
     * many times its workers. Claims are one at a time, so a storm's rate is at most a claim's rows per
     * claim round trip: claims as large as the workers capped one daemon near that (issue 26).
     */
    static final int CLAIMED_PER_WORKER = 4;
    /**
     * While the store's queue has more due, the next claim goes out when this many rows per worker are
     * still claimed here: the queued rows keep the workers busy during the claim's round trip, and the
     * claim takes at least as many rows as there are workers times the difference.
     */
    static final int CLAIM_AGAIN_PER_WORKER = 2;

    private final RefreshPipeline pipeline;
    private final Supplier<List<StoredCredential>> credentials;
    private final Scheduling scheduling;
    private final Clock clock;
    private Plan plan = new DueQueue();
    /** Set by {@link #planIn}: the plan is the store's, and validation is folded into it. */
    private boolean inStore;
    private final RandomGenerator validationJitter = new SplittableRandom();
    private final Set<CredentialId> running = ConcurrentHashMap.newKeySet();
    /** Claims between their statement and marking their rows {@link #running} (see {@link #claimedHere}). */
    private final AtomicInteger claimsUnderWay = new AtomicInteger();
    private final ProviderSpacing spacing = new ProviderSpacing();
    private final Map<CredentialId, Duration> advanced = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor workers;
    /** One claim at a time: the tick's, or a worker's when the queue had more due ({@link #claimMoreIfBehind}). */
    private final ReentrantLock dispatching = new ReentrantLock();
    /** The last claim took as many rows as it asked for: more may be due. */
    private volatile boolean backlog;
    /** A worker finished while the queue had more due ({@link #claimMoreIfAsked}). */
    private final AtomicBoolean refillAsked = new AtomicBoolean();
    private volatile Duration interval;
    private volatile boolean active;
    /** When Quartz last ran the dispatch tick: the scheduler's own heartbeat (systemd watchdog). */
    private volatile long lastTickNanos = System.nanoTime();

    private volatile Scheduler quartz;
    private int plannedAtStart;
    /** Set by {@link #tickByHand()}: no Quartz; {@link #tick()} dispatches and sweeps on the clock's time. */
    private boolean byHand;
    private ValidationSweep handSweep;
    private ValidationSweep sweep;
    /** Whether the last tick's taking failed (the store is down): said once, not at every tick. */
    private volatile boolean takeFailing;
    private volatile Instant nextSweep;

    /**
     * Builds the scheduler; nothing runs until {@link #start()}.
     *
     * @param pipeline    the refresh pipeline
     * @param credentials reads every stored credential
     * @param scheduling  threads, sweep interval, whether to start active, tick
     * @param clock       the time
     */
    public RefreshScheduler(RefreshPipeline pipeline, Supplier<List<StoredCredential>> credentials, Scheduling scheduling,
                            Clock clock) {
        this.pipeline = pipeline;
        this.credentials = credentials;
        this.scheduling = scheduling;
        this.interval = scheduling.interval();
        this.clock = clock;
        this.workers = new ThreadPoolExecutor(scheduling.threads(), scheduling.threads(), 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, "refresh-worker");
                    thread.setDaemon(true);
                    return thread;
                });
    }

    /**
     * Starts Quartz, plans every stored credential and listens to the pipeline; paused at once when
     * automatic refresh is disabled.
     *
     * @throws SchedulerException when Quartz cannot start
     */
    public synchronized void start() throws SchedulerException {
        sweep = new ValidationSweep(pipeline, credentials, this::replanUnlessRetrying);
        if (byHand) {
            handSweep = sweep;
            nextSweep = clock.instant().plus(interval);
            planAll();
            this.active = scheduling.autoRefreshEnabled();
            return;
        }
        // Quartz keeps one scheduler per name in a JVM: two daemons in one process (the bench's
        // measurement 6) must not share one. Made directly, not from properties: the properties
        // factory sets its parts' fields through java.beans (a module of its own, cold at start).
        String name = "tokenkeeper-" + INSTANCES.incrementAndGet();
        TickThreads threads = new TickThreads(2, "schedule", STOP_WAIT);
        RAMJobStore jobs = new RAMJobStore();
        jobs.setMisfireThreshold(1000);
        DirectSchedulerFactory.getInstance().createScheduler(name, name, threads, jobs);
        this.quartz = DirectSchedulerFactory.getInstance().getScheduler(name);
        quartz.setJobFactory(new PipelineJobFactory(this::dispatchDue, sweep));
        quartz.addJob(JobBuilder.newJob(DispatchJob.class).withIdentity(DISPATCH_JOB).storeDurably().build(), true);
        quartz.addJob(JobBuilder.newJob(SweepJob.class).withIdentity(SWEEP_JOB).storeDurably().build(), true);
        quartz.scheduleJob(TriggerBuilder.newTrigger().withIdentity(DISPATCH_TRIGGER).forJob(DISPATCH_JOB)
                .startNow()
                .withSchedule(SimpleScheduleBuilder.simpleSchedule()
                        .withIntervalInMilliseconds(Math.max(10, scheduling.tick().toMillis())).repeatForever()
                        // A tick later than the misfire threshold (a start or a resume under load, a paused
                        // JVM) runs at once, once, rather than at the next interval: with a long tick that
                        // would leave what is due waiting a whole interval.
                        .withMisfireHandlingInstructionNowWithExistingCount())
                .build());
        scheduleSweep();
        planAll();
        // Started only when enabled: started and then put on standby, its first dispatch tick could
        // already have refreshed what is overdue. Active before Quartz starts: its first tick fires at once, and
        // one that ran before the flag was set was dropped (a loaded test whose only tick was its first stalled).
        this.active = scheduling.autoRefreshEnabled();
        if (active) {
            try {
                quartz.start();
            } catch (SchedulerException e) {
                active = false;
                throw e;
            }
        }
    }

    private void planAll() {
        pipeline.addListener(this);
        if (inStore) {
            return;
        }
        int planned = 0;
        for (StoredCredential credential : credentials.get()) {
            plan(credential);
            planned++;
        }
        // Counted here, after planning and before the dispatcher runs: a credential due at once
        // (an expired import) leaves the queue as soon as it is dispatched.
        this.plannedAtStart = planned;
    }

    /**
     * Before {@link #start()}: keeps the plan in the store's due queue instead of this daemon's
     * memory (see the class's description).
     *
     * @param due   the store's due queue
     * @param owner this daemon's lease owner name
     * @param lease how long a claim's lease lasts
     */
    public synchronized void planIn(DueWork due, String owner, Duration lease) {
        if (quartz != null || handSweep != null) {
            throw new IllegalStateException("planIn() comes before start()");
        }
        plan = new StorePlan(due, owner, lease);
        inStore = true;
    }

    /**
     * Before {@link #start()}: no Quartz and no tick of its own; whoever holds the clock calls
     * {@link #tick()} (an in-process test on a clock it moves by hand).
     */
    public synchronized void tickByHand() {
        if (quartz != null || handSweep != null) {
            throw new IllegalStateException("tickByHand() comes before start()");
        }
        byHand = true;
    }

    /**
     * One tick by hand, what Quartz runs every {@code TOKENKEEPER_SCHEDULER_TICK_MILLIS} otherwise:
     * hands the credentials due at the clock's time to the refresh workers, and runs the validation
     * sweep when its interval has passed on the clock. Nothing while scheduling is stopped.
     */
    public void tick() {
        if (!byHand) {
            throw new IllegalStateException("the scheduler ticks on Quartz; tickByHand() before start() to tick it by hand");
        }
        if (!active) {
            return;
        }
        dispatchDue();
        Instant now = clock.instant();
        if (!inStore && !now.isBefore(nextSweep)) {
            nextSweep = now.plus(interval);
            handSweep.run();
        }
    }

    /**
     * @return when the next planned refresh, or (ticked by hand) the next sweep, is due; nothing
     *         while scheduling is stopped
     */
    public Optional<Instant> nextDue() {
        if (!active) {
            return Optional.empty();
        }
        Optional<Instant> refresh = plan.earliest();
        Instant sweep = nextSweep;
        if (!byHand || sweep == null || inStore) {
            return refresh;
        }
        return Optional.of(refresh.filter(at -> at.isBefore(sweep)).orElse(sweep));
    }

    /**
     * Waits (bounded) until no dispatched refresh is queued or running.
     *
     * @param bound how long to wait at most
     * @return true when idle, false when the bound passed first
     * @throws InterruptedException when interrupted while waiting
     */
    public boolean awaitIdle(Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!running.isEmpty() || !workers.getQueue().isEmpty() || workers.getActiveCount() > 0) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    /** @return the state existing callers read */
    public SchedulerState state() {
        return new SchedulerState(active, scheduling.autoRefreshEnabled(), interval.toMillis() / 60_000.0);
    }

    /**
     * Resumes scheduled refreshes and the sweep; overdue ones run at once.
     *
     * @return the new state
     */
    public synchronized SchedulerState resume() {
        try {
            // Before Quartz starts, so that its first tick (at once when one is overdue) is not dropped.
            active = true;
            if (quartz != null) {
                quartz.start();
            }
            Logger.info("scheduler started (validation every {} min)", state().intervalMinutes());
        } catch (SchedulerException e) {
            active = false;
            throw new IllegalStateException("scheduler could not start: " + e.getMessage(), e);
        }
        return state();
    }

    /**
     * Pauses scheduled refreshes and the sweep.
     *
     * @return the new state
     */
    public synchronized SchedulerState pause() {
        try {
            if (quartz != null) {
                quartz.standby();
            }
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
        pause();
        newInterval.ifPresent(value -> {
            interval = value;
            scheduleSweep();
        });
        return resume();
    }

    @Override
    public void changed(StoredCredential credential, Optional<Instant> nextAttempt) {
        if (inStore && running.contains(credential.id())) {
            // This daemon's claim of it is running: its end writes the next due time.
            return;
        }
        if (nextAttempt.isPresent()) {
            plan.put(credential.id(), nextAttempt, true);
        } else if (inStore) {
            plan.put(credential.id(), placement(credential), false);
        } else {
            plan(credential);
        }
    }

    @Override
    public void removed(CredentialId id) {
        if (!inStore) {
            plan.put(id, Optional.empty(), false);
        }
        spacing.forget(id);
        advanced.remove(id);
    }

    /**
     * Puts a credential on the plan at its refresh time (or takes it off when it needs a human). On
     * the store's plan this does nothing: whoever changed the credential planned it in the store.
     *
     * @param credential the credential, as another daemon or the store's change feed left it
     */
    public void plan(StoredCredential credential) {
        if (inStore) {
            return;
        }
        if (parked(credential)) {
            removed(credential.id());
            return;
        }
        Instant planned = pipeline.plan(credential);
        Duration apart = pipeline.timing(credential.id()).spacing();
        Instant at = apart.isZero() ? planned : spacing.place(credential.id(), planned, apart, clock.instant());
        if (at.isBefore(planned)) {
            advanced.put(credential.id(), Duration.between(at, planned));
        } else {
            advanced.remove(credential.id());
        }
        plan.put(credential.id(), Optional.of(at), false);
    }

    /** A credential that needs a human, or one that cannot refresh and is no longer active, is not planned. */
    private boolean parked(StoredCredential credential) {
        return credential.status() == CredentialStatus.REQUIRES_CONFIGURATION
                || credential.status() != CredentialStatus.ACTIVE && pipeline.untilExpiry(credential);
    }

    /**
     * On the store's plan: the earlier of the refresh time and the next validation.
     *
     * @param credential the credential
     * @return when it is next due; empty when it is parked
     */
    private Optional<Instant> placement(StoredCredential credential) {
        if (parked(credential)) {
            return Optional.empty();
        }
        Instant refresh = pipeline.plan(credential);
        long jitter = validationJitter.nextLong(Math.max(1, interval.toMillis() / 10));
        Instant validation = clock.instant().plus(interval).minusMillis(jitter);
        return Optional.of(refresh.isBefore(validation) ? refresh : validation);
    }

    /**
     * The sweep's re-plan. A credential waiting for its retry keeps that time: planned afresh it
     * would be due at once, run into the provider's failure pause and spend a retry on nothing (at
     * a provider that pauses 15 minutes after an anti-bot answer, a sweep every few minutes falls into
     * every pause).
     */
    private void replanUnlessRetrying(StoredCredential credential) {
        if (!plan.retrying(credential.id())) {
            plan(credential);
        }
    }

    /**
     * @param id a credential
     * @return when it is planned to be refreshed next, if it is (on the store's plan, one query)
     */
    public Optional<Instant> nextFireTime(CredentialId id) {
        return plan.at(id);
    }

    /**
     * For a view of a page of credentials: on the store's plan one query for the whole page (a query
     * per credential shown would compete with the consumers' reads for the store's connections).
     *
     * @param ids a page of credentials
     * @return when each planned one is next due
     */
    public Map<CredentialId, Instant> nextFireTimes(Collection<CredentialId> ids) {
        return plan.at(ids);
    }

    /**
     * @param id a credential
     * @return true when this daemon's memory plan holds it (never on the store's plan)
     */
    public boolean plannedHere(CredentialId id) {
        return !inStore && plan.at(id).isPresent();
    }

    /**
     * @param id a credential
     * @return true when this daemon holds a claim of it from the store's due queue (queued or refreshing)
     */
    public boolean claimedHere(CredentialId id) {
        // A claim under way has read rows it has not marked running yet: any of them may be one.
        return inStore && (claimsUnderWay.get() > 0 || running.contains(id));
    }

    /** @return true when the plan is the store's due queue ({@link #planIn}): nothing of a credential is planned in memory */
    public boolean plansInStore() {
        return inStore;
    }

    /** @return how many credentials were planned when the scheduler started, for the start-up line */
    public int plannedAtStart() {
        return plannedAtStart;
    }

    /**
     * @return what the start-up line says of the plan: how many credentials were planned at start in
     *         memory, or that the store's due queue plans them (nothing of it is read at start)
     */
    public String planSummary() {
        return inStore ? "credentials planned in the store's due queue (claimed as they fall due)"
                : plannedAtStart + " credentials planned";
    }

    /** @return how many credentials are planned in memory (none on the store's plan) */
    public int planned() {
        return plan instanceof DueQueue memory ? memory.size() : 0;
    }

    /**
     * @param bound how long a healthy scheduler may go without a tick
     * @return true when the dispatch tick ran within the bound, or scheduling is stopped on purpose
     */
    public boolean alive(Duration bound) {
        return !active || System.nanoTime() - lastTickNanos < bound.toNanos();
    }

    private void dispatchDue() {
        lastTickNanos = System.nanoTime();
        if (!active) {
            // Quartz fires a trigger it had already taken when standby() came.
            return;
        }
        dispatching.lock();
        try {
            takeAndRun();
        } finally {
            dispatching.unlock();
        }
        claimMoreIfAsked();
    }

    /**
     * After a claim's refresh ended: while the store's queue has more due than the last claim took,
     * the next batch is claimed as soon as the workers have run out of queued claims, not at the
     * next tick (a tick's claims of as many rows as there are workers capped a daemon at
     * threads / tick: 40 refreshes/s with 8 threads). Not when ticked by hand: there the clock's
     * holder calls every claim.
     */
    private void claimMoreIfBehind() {
        refillAsked.set(true);
        claimMoreIfAsked();
    }

    /**
     * A worker that asks while another claim holds {@code dispatching} leaves its ask for the holder,
     * which looks again once it let go: without that, the last workers of a batch could all finish
     * inside the tick's claim and the backlog would wait for the next tick (seen in a test whose only
     * tick was its first).
     */
    private void claimMoreIfAsked() {
        while (refillAsked.get() && backlog && !byHand && active
                && running.size() <= CLAIM_AGAIN_PER_WORKER * scheduling.threads() && dispatching.tryLock()) {
            try {
                if (refillAsked.getAndSet(false)) {
                    takeAndRun();
                }
            } finally {
                dispatching.unlock();
            }
        }
    }

    /** Called with {@code dispatching} held. */
    private void takeAndRun() {
        Instant now = clock.instant();
        // On the store's plan a claim takes batches ahead of the free workers (one claim statement per
        // batch, and no worker idle while the next claim is under way); a claimed row waits at most
        // CLAIMED_PER_WORKER - 1 refreshes of a worker for its turn. Should its lease lapse meanwhile
        // (refreshes slower than a third of the lease), the refresh confirms the lease before its upstream
        // call (HeldLease.confirm): a daemon that took the row over refreshes it, this one does not.
        int limit = (inStore ? CLAIMED_PER_WORKER * scheduling.threads() : scheduling.threads()) - running.size();
        if (inStore && limit < 1) {
            // Every worker busy and a batch queued: the backlog (if any) stays for the workers to claim.
            return;
        }
        claimsUnderWay.incrementAndGet();
        try {
            List<Plan.Taken> taken;
            try {
                taken = plan.takeDue(now, limit);
                backlog = inStore && taken.size() >= limit;
            } catch (RuntimeException e) {
                if (!takeFailing) {
                    takeFailing = true;
                    Logger.warn("could not claim due credentials: {}; trying again at every tick", e.getMessage());
                }
                return;
            }
            if (takeFailing) {
                takeFailing = false;
                Logger.info("claiming due credentials again");
            }
            for (Plan.Taken due : taken) {
                if (!running.add(due.id())) {
                    // Still refreshing from the last time: look again shortly.
                    plan.put(due.id(), Optional.of(clock.instant().plusSeconds(1)), due.retry());
                    continue;
                }
                workers.execute(() -> due.claim().ifPresentOrElse(claim -> runClaim(claim, now), () -> refresh(due)));
            }
        } finally {
            claimsUnderWay.decrementAndGet();
        }
    }

    /**
     * A claim of the store's plan: refreshed when due (its commit writes the next due time), else
     * validated when it was planned (not a row that was never planned), and given back with its next
     * due time.
     */
    private void runClaim(DueWork.Claim claim, Instant claimedAt) {
        StoredCredential row = claim.credential();
        CredentialId id = row.id();
        StorePlan store = (StorePlan) plan;
        try {
            try {
                // Refreshed or validated next: opened once, in hand (not in the token cache), for the checks and the call.
                pipeline.hold(row);
            } catch (UnsealException unreadable) {
                // The refresh says so.
            }
            boolean refresh = claim.retry() || pipeline.isDue(row) && !parked(row);
            RefreshReport report;
            if (refresh) {
                report = pipeline.refreshClaimed(new RefreshPipeline.Claimed(row, claimedAt, this::placement),
                        claim.retry() ? new RefreshTrigger.Retry() : new RefreshTrigger.Scheduled(Duration.ZERO));
                if (report instanceof RefreshReport.Refreshed) {
                    return;
                }
            } else {
                if (claim.due().isPresent() && !parked(row)) {
                    sweep.validate(row);
                }
                report = new RefreshReport.Skipped(pipeline.stored(id), "validated");
            }
            Optional<Instant> retryAt = report.retryAt();
            store.due().release(id, store.owner(), retryAt.isPresent() ? retryAt : placement(report.credential()),
                    retryAt.isPresent());
        } catch (RuntimeException e) {
            Logger.error("scheduled refresh of {} failed: {}", id, e.getMessage());
        } finally {
            pipeline.release(id);
            running.remove(id);
            claimMoreIfBehind();
        }
    }

    private void refresh(Plan.Taken due) {
        try {
            RefreshReport report = pipeline.refresh(due.id(),
                    due.retry() ? new RefreshTrigger.Retry()
                            : new RefreshTrigger.Scheduled(advanced.getOrDefault(due.id(), Duration.ZERO)));
            if (report instanceof RefreshReport.Skipped) {
                // Nothing was committed, so nothing re-planned it.
                plan(report.credential());
            }
        } catch (RuntimeException e) {
            Logger.error("scheduled refresh of {} failed: {}", due.id(), e.getMessage());
        } finally {
            running.remove(due.id());
        }
    }

    private void scheduleSweep() {
        if (inStore) {
            return; // validation is folded into the store's plan
        }
        if (byHand) {
            nextSweep = clock.instant().plus(interval);
            return;
        }
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

    /** Stops the ticks and waits (bounded) for running scheduled refreshes to finish. */
    @Override
    public void close() {
        if (quartz != null) {
            stopTicks();
        }
        workers.shutdown();
        try {
            if (!workers.awaitTermination(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                Logger.warn("scheduled refreshes still running after {} s", STOP_WAIT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Quartz's stop joins its scheduling thread without a bound (and with its own thread pool it once
     * waited forever for a worker that had ended; see {@link TickThreads}): the stop is made on a thread
     * of its own, for as long as the refresh workers get.
     */
    private void stopTicks() {
        Thread stopping = new Thread(() -> {
            try {
                quartz.shutdown(true);
            } catch (SchedulerException e) {
                Logger.warn("scheduler shutdown: {}", e.getMessage());
            }
        }, "scheduler-stop");
        stopping.setDaemon(true);
        stopping.start();
        try {
            stopping.join(STOP_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (stopping.isAlive()) {
            Logger.warn("the scheduler's ticks had not stopped after {} s; stopping without them", STOP_WAIT.toSeconds());
        }
    }
}
