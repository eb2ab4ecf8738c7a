package dev.tokenkeeper.daemon.http;

import dev.tokenkeeper.api.PurgeResult;
import dev.tokenkeeper.daemon.rekey.KeyRotation;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.util.List;

import static dev.tokenkeeper.daemon.http.Requests.json;

/**
 * {@code POST /api/v1/rekey}: a new master key and every credential re-sealed with it.
 *
 * @param keyRotation what the route runs; null answers it with 503
 */
record KeyRoutes(KeyRotation keyRotation) implements RouteGroup {

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/api/v1/rekey", this::rekey);
    }

    /** The answer of {@code POST /api/v1/rekey}: key ids and credential ids only, never a key. */
    record RekeyView(boolean rotated, boolean resumed, boolean complete, String currentKeyId, List<String> retiredKeyIds,
                     List<String> resealed, List<String> alreadyCurrent, List<RekeyFailureView> failed,
                     PurgeView purge) {
    }

    /**
     * What the purge before destroying the old keys found; null in {@link RekeyView} when no key was to be destroyed.
     *
     * @param result          {@code purged}, {@code nothing-to-purge}, {@code out-of-reach} or {@code failed}
     * @param summary         one line: what was done, or what failed and what to run
     * @param oldKeysDestroyed whether the old keys were destroyed after it
     */
    record PurgeView(String result, String summary, boolean oldKeysDestroyed) {
        static PurgeView of(PurgeResult purge) {
            String result = purge instanceof PurgeResult.Purged ? "purged"
                    : purge instanceof PurgeResult.NothingToPurge ? "nothing-to-purge"
                    : purge instanceof PurgeResult.OutOfReach ? "out-of-reach" : "failed";
            return new PurgeView(result, purge.summary(), purge.allowsDestroyingOldKeys());
        }
    }

    /** A credential a rekey could not re-seal. */
    record RekeyFailureView(String id, String reason) {
    }

    private void rekey(Context ctx) {
        if (keyRotation == null) {
            throw new ApiException(503, "unavailable", "this daemon was started without key rotation: upgrade"
                    + " tokenkeeper, or rotate by hand (old key into <state>/keys/retired-<name>.key, new key configured)");
        }
        boolean resealOnly = "true".equals(ctx.queryParam("resealOnly"));
        KeyRotation.Outcome outcome;
        try {
            outcome = resealOnly ? keyRotation.resealOnly() : "true".equals(ctx.queryParam("finish")) ? keyRotation.finish()
                    : keyRotation.rotate("true".equals(ctx.queryParam("keepOld")));
        } catch (KeyRotation.RotationRefusedException e) {
            throw new ApiException(409, "rekey_refused", e.getMessage());
        }
        json(ctx, new RekeyView(outcome.rotated(), outcome.resumed(), outcome.failed().isEmpty(), outcome.currentKeyId(),
                outcome.retiredKeyIds(), outcome.resealed(), outcome.alreadyCurrent(), outcome.failed().stream()
                .map(f -> new RekeyFailureView(f.id(), f.reason())).toList(), outcome.purge().map(PurgeView::of).orElse(null)));
    }
}
