package dev.tokenkeeper.daemon.refresh;

import dev.tokenkeeper.api.ImportedSecret;
import dev.tokenkeeper.api.InvalidSecretException;
import dev.tokenkeeper.api.IssuedSecret;
import dev.tokenkeeper.api.Presentation;
import dev.tokenkeeper.api.RefreshResult;
import dev.tokenkeeper.api.RefreshTiming;
import dev.tokenkeeper.api.Refreshability;
import dev.tokenkeeper.api.SecretInput;
import dev.tokenkeeper.api.SecretMaterial;
import dev.tokenkeeper.api.TokenProvider;
import dev.tokenkeeper.api.ValidationResult;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The provider "acme" of the daemon's unit tests: it answers what the test queued and counts its
 * calls. Unscripted, a refresh issues a new hour-long access token "next" on the test's clock and a
 * validation accepts (unless {@link #verdicts} names the token); an import takes a
 * {@link SecretInput.TokenJson} whose text is the access token, good for an hour, with refresh
 * token "rt-" and the text. Its presentation is the access token as a bearer header.
 */
public final class ScriptedProvider implements TokenProvider {

    /** Answers to the next refreshes, in order. */
    public final Deque<Supplier<RefreshResult>> refreshAnswers = new ConcurrentLinkedDeque<>();
    /** Answers to the next validations, in order, before {@link #verdicts}. */
    public final Deque<Supplier<ValidationResult>> validationAnswers = new ConcurrentLinkedDeque<>();
    /** Validation answers by access token, when none is queued. */
    public final Map<String, ValidationResult> verdicts = new ConcurrentHashMap<>();
    /** The secrets refreshes were asked with, in order. */
    public final List<SecretMaterial> refreshedFrom = Collections.synchronizedList(new ArrayList<>());
    /** Refresh calls so far. */
    public final AtomicInteger refreshCalls = new AtomicInteger();
    /** Validation calls so far. */
    public final AtomicInteger validationCalls = new AtomicInteger();
    /** The warnings an import gives. */
    public final List<String> importWarnings = Collections.synchronizedList(new ArrayList<>());

    /** Every secret {@link #refreshability} was asked about, in order. */
    public final List<SecretMaterial> refreshabilityAsked = Collections.synchronizedList(new ArrayList<>());
    /** What {@link #refreshability} says of every secret. */
    public volatile Refreshability refreshability = Refreshability.REFRESHES;

    /** What {@link #refreshTiming} says. */
    public volatile RefreshTiming timing = RefreshTiming.DEFAULT;

    private final Clock clock;

    /** @param clock the test's clock, for the times of what it issues */
    public ScriptedProvider(Clock clock) {
        this.clock = clock;
    }

    /**
     * @param access  the access token
     * @param refresh the refresh token
     * @return the secret the provider keeps
     */
    public static SecretMaterial secret(String access, String refresh) {
        return new SecretMaterial(Map.of("access_token", access, "refresh_token", refresh));
    }

    /**
     * @param access the access token
     * @param life   how long it is good, from now on the clock
     * @return a successful refresh to it (refresh token "rt-" and the access token)
     */
    public RefreshResult.Refreshed issued(String access, Duration life) {
        Instant now = clock.instant();
        return new RefreshResult.Refreshed(new IssuedSecret(secret(access, "rt-" + access), now,
                Optional.of(now.plus(life)), Optional.empty()));
    }

    @Override
    public String id() {
        return "acme";
    }

    @Override
    public ImportedSecret importSecret(SecretInput input) throws InvalidSecretException {
        if (!(input instanceof SecretInput.TokenJson json) || json.json().isBlank()) {
            throw new InvalidSecretException("acme takes a token JSON: paste the access token");
        }
        return new ImportedSecret(issued(json.json(), Duration.ofHours(1)).issued(), List.copyOf(importWarnings));
    }

    @Override
    public ValidationResult validate(SecretMaterial secret) {
        validationCalls.incrementAndGet();
        Supplier<ValidationResult> answer = validationAnswers.poll();
        if (answer != null) {
            return answer.get();
        }
        return verdicts.getOrDefault(secret.require("access_token"), new ValidationResult.Accepted());
    }

    @Override
    public RefreshResult refresh(SecretMaterial secret) {
        refreshCalls.incrementAndGet();
        refreshedFrom.add(secret);
        Supplier<RefreshResult> answer = refreshAnswers.poll();
        return answer != null ? answer.get() : issued("next", Duration.ofHours(1));
    }

    @Override
    public RefreshTiming refreshTiming() {
        return timing;
    }

    @Override
    public Refreshability refreshability(SecretMaterial secret) {
        refreshabilityAsked.add(secret);
        return refreshability;
    }

    @Override
    public Presentation present(SecretMaterial secret) {
        String token = secret.require("access_token");
        return new Presentation(token, Map.of("Authorization", "Bearer " + token));
    }
}
