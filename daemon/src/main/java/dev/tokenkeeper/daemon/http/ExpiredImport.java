package dev.tokenkeeper.daemon.http;

import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.daemon.refresh.CredentialService;
import dev.tokenkeeper.daemon.refresh.RefreshReport;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * An import whose access token has already expired is refreshed at once, and the import answer
 * says so: otherwise it would show {@code active} with a next refresh in the past until the
 * scheduler got to it.
 */
final class ExpiredImport {

    private ExpiredImport() {
    }

    static CredentialService.Imported refreshIfExpired(CredentialService credentials, CredentialService.Imported imported,
                                                      Instant now) {
        StoredCredential credential = imported.credential();
        Instant expiry = credential.accessExpiresAt().orElse(null);
        if (expiry == null || expiry.isAfter(now)) {
            return imported;
        }
        RefreshReport report = credentials.refresh(credential.id(), true);
        List<String> warnings = new ArrayList<>(imported.warnings());
        if (report instanceof RefreshReport.Refreshed) {
            warnings.add("the imported access token had expired (at " + expiry + "): refreshed at once, the new one is"
                    + " valid until " + report.credential().accessExpiresAt().map(Instant::toString).orElse("unknown"));
        } else if (report instanceof RefreshReport.RetryLater later) {
            warnings.add("the imported access token had expired (at " + expiry + ") and the refresh at once failed ("
                    + later.reason() + "): retried at " + later.nextAttemptAt() + "; no token is served until then");
        } else if (report instanceof RefreshReport.NeedsHuman human) {
            warnings.add("the imported access token had expired (at " + expiry + ") and the upstream refused the"
                    + " refresh (" + human.reason() + "): import a fresh secret");
        } else if (report instanceof RefreshReport.Skipped skipped) {
            warnings.add("the imported access token had expired (at " + expiry + "); not refreshed at once ("
                    + skipped.why() + ")");
        }
        return new CredentialService.Imported(report.credential(), warnings, imported.replaced());
    }
}
