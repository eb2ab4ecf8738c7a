package dev.tokenkeeper.daemon.schedule;

import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.api.ValidationResult;
import dev.tokenkeeper.daemon.crypto.UnsealException;
import dev.tokenkeeper.daemon.refresh.LiveCredential;
import dev.tokenkeeper.daemon.refresh.RefreshPipeline;
import dev.tokenkeeper.daemon.refresh.RefreshTrigger;
import org.tinylog.Logger;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The periodic validation sweep: asks each provider whether the current token is still accepted
 * (catching tokens revoked before their expiry), refreshes those that were rejected, and re-plans
 * every credential from the store (picking up changes made by other daemons).
 */
public final class ValidationSweep {

    private final RefreshPipeline pipeline;
    private final Supplier<List<StoredCredential>> credentials;
    private final Consumer<StoredCredential> replan;

    /**
     * @param pipeline    the refresh pipeline
     * @param credentials reads every stored credential
     * @param replan      puts a credential back on the schedule
     */
    public ValidationSweep(RefreshPipeline pipeline, Supplier<List<StoredCredential>> credentials,
                           Consumer<StoredCredential> replan) {
        this.pipeline = pipeline;
        this.credentials = credentials;
        this.replan = replan;
    }

    /** Runs one sweep; never throws. */
    public void run() {
        List<StoredCredential> all;
        try {
            all = credentials.get();
        } catch (RuntimeException e) {
            Logger.warn("validation sweep skipped: store unavailable ({})", e.getMessage());
            return;
        }
        int accepted = 0;
        int rejected = 0;
        int inconclusive = 0;
        for (StoredCredential credential : all) {
            if (credential.status() == CredentialStatus.REQUIRES_CONFIGURATION) {
                continue;
            }
            Optional<ValidationResult> result = validate(credential);
            if (result.isEmpty()) {
                continue;
            }
            if (result.get() instanceof ValidationResult.Rejected) {
                rejected++;
            } else if (result.get() instanceof ValidationResult.Inconclusive) {
                inconclusive++;
            } else {
                accepted++;
            }
            try {
                replan.accept(pipeline.stored(credential.id()));
            } catch (RuntimeException e) {
                Logger.warn("validation of {} failed: {}", credential.id(), e.getMessage());
            }
        }
        Logger.info("validation sweep: {} accepted, {} rejected, {} inconclusive", accepted, rejected, inconclusive);
    }

    /**
     * Asks the credential's provider whether its token is still accepted, and refreshes it when the
     * upstream rejected it (or its secret cannot be opened); never throws.
     *
     * @param credential the credential
     * @return the upstream's answer; empty when there was none (the failure is logged)
     */
    public Optional<ValidationResult> validate(StoredCredential credential) {
        try {
            LiveCredential live = pipeline.openUncached(credential);
            ValidationResult result = pipeline.provider(credential.id()).validate(live.secret());
            if (result instanceof ValidationResult.Rejected rejection) {
                Logger.warn("validation: upstream rejected the token of {} ({}); refreshing", credential.id(),
                        rejection.reason());
                pipeline.refresh(credential.id(), RefreshTrigger.Rejected.of(credential));
            } else if (result instanceof ValidationResult.Inconclusive unknown) {
                Logger.info("validation of {} inconclusive ({}: {})", credential.id(), unknown.kind().wireName(),
                        unknown.reason());
            }
            return Optional.of(result);
        } catch (UnsealException e) {
            // Not "Scheduled": that skips a credential that is not due, leaving it shown as active.
            try {
                pipeline.refresh(credential.id(), RefreshTrigger.Rejected.of(credential));
            } catch (RuntimeException during) {
                Logger.warn("validation of {} failed: {}", credential.id(), during.getMessage());
            }
        } catch (RuntimeException e) {
            Logger.warn("validation of {} failed: {}", credential.id(), e.getMessage());
        }
        return Optional.empty();
    }
}
