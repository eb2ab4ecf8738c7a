package dev.tokenkeeper.bench.pipeline;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.refresh.RefreshReport;
import dev.tokenkeeper.daemon.refresh.RefreshTrigger;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/** The task of index {@code i}: force-refresh credential {@code i} through a pipeline, counting those not refreshed. */
public final class ForcedRefreshes implements IntConsumer {

    private final RefreshPipeline pipeline;
    private final List<CredentialId> ids;
    private final AtomicInteger missed = new AtomicInteger();

    /**
     * @param pipeline the pipeline
     * @param ids      the credentials, by index
     */
    public ForcedRefreshes(RefreshPipeline pipeline, List<CredentialId> ids) {
        this.pipeline = pipeline;
        this.ids = List.copyOf(ids);
    }

    @Override
    public void accept(int i) {
        if (!(pipeline.refresh(ids.get(i), new RefreshTrigger.Forced()) instanceof RefreshReport.Refreshed)) {
            missed.incrementAndGet();
        }
    }

    /** @return ", N NOT refreshed" when some were not, else nothing */
    public String missedNote() {
        return missed.get() > 0 ? ", " + missed.get() + " NOT refreshed" : "";
    }

    /** Forgets the count (after warm-up). */
    public void resetCount() {
        missed.set(0);
    }
}
