package dev.tokenkeeper.inprocess;

import dev.tokenkeeper.api.CredentialId;
import dev.tokenkeeper.api.CredentialStatus;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.StoredCredential;
import dev.tokenkeeper.provider.gazelle.FakeGazelle;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many credentials written straight into a daemon's store, faster than importing each: one Gazelle
 * chain is imported through the API, and each row is a copy of it sealed with the daemon's key under
 * an access token of its own (kept in {@code issued}, for the tests' secret greps), valid for an hour.
 */
final class ChainCopies {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SecretMaterial material;
    private final TokenkeeperExtension daemon;

    private ChainCopies(TokenkeeperExtension daemon, SecretMaterial material) {
        this.daemon = daemon;
        this.material = material;
    }

    /** Imports the chain {@code gazelle:seed} through the daemon's API. */
    static ChainCopies of(TokenkeeperExtension daemon, FakeGazelle gazelle) {
        CredentialId seed = CredentialId.parse("gazelle:seed");
        HttpResponse<String> imported = daemon.call("PUT", "/api/v1/credentials/" + seed,
                JSON.createObjectNode().put("tokenJson", gazelle.seedChain("seed")).toString());
        assertEquals(201, imported.statusCode(), imported.body());
        return new ChainCopies(daemon, daemon.credentials().token(seed, Duration.ZERO).secret());
    }

    /**
     * Stores {@code count} active copies named by {@code id}, their access tokens {@code prefix-i-random}.
     *
     * @param needsHuman the copies stored as needing a human ({@code invalid_grant}) instead
     */
    void store(int count, IntFunction<CredentialId> id, String prefix, List<String> issued, Instant now,
               CredentialId... needsHuman) {
        List<CredentialId> refused = List.of(needsHuman);
        for (int i = 0; i < count; i++) {
            CredentialId copy = id.apply(i);
            String access = prefix + "-" + i + "-" + Long.toHexString(Double.doubleToLongBits(Math.random()));
            issued.add(access);
            boolean human = refused.contains(copy);
            StoredCredential row = new StoredCredential(copy,
                    human ? CredentialStatus.REQUIRES_CONFIGURATION : CredentialStatus.ACTIVE,
                    daemon.assembly().sealer().seal(copy, material.with("access_token", access)), now,
                    Optional.of(now.plus(Duration.ofHours(1))), Optional.empty(), 1, Optional.of(now),
                    human ? Optional.of("invalid_grant") : Optional.empty(), now);
            assertTrue(daemon.assembly().store().insert(row), "stored " + copy);
        }
    }
}
