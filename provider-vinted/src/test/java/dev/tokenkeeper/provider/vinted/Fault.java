package dev.tokenkeeper.provider.vinted;

import java.time.Duration;
import java.util.Objects;

/**
 * A misbehaviour {@link FakeVinted} can be told to show on the next requests
 * ({@link FakeVinted#failNext(FakeEndpoint, int, Fault)}). Each one imitates something Vinted or the
 * network really does.
 */
public sealed interface Fault {

    /** 503 with an HTML error page; nothing happens to the session. */
    record ServiceUnavailable() implements Fault {
    }

    /** The connection is closed without any answer; nothing happens to the session. */
    record DropConnection() implements Fault {
    }

    /**
     * The answer comes after {@code delay}; the request is otherwise handled normally (a refresh
     * does rotate the tokens, even if the client gave up waiting).
     *
     * @param delay how long to hold the answer back
     */
    record Slow(Duration delay) implements Fault {
        /** Rejects null. */
        public Slow {
            Objects.requireNonNull(delay, "delay");
        }
    }

    /**
     * 429 with {@code Retry-After}; nothing happens to the session.
     *
     * @param retryAfter the delay announced (whole seconds)
     */
    record RateLimited(Duration retryAfter) implements Fault {
        /** Rejects null. */
        public RateLimited {
            Objects.requireNonNull(retryAfter, "retryAfter");
        }
    }

    /** 200 {@code {}} without any {@code Set-Cookie}; nothing happens to the session. */
    record OkWithoutToken() implements Fault {
    }

    /** 403 with a DataDome captcha page (HTML); nothing happens to the session. */
    record BlockedPage() implements Fault {
    }

    /** 403 with {@code {"code":106}} (access denied); nothing happens to the session. */
    record AccessDenied() implements Fault {
    }

    /** 401 {@code code 100 invalid_authentication_token}, whatever the request carried. */
    record InvalidToken() implements Fault {
    }

    /**
     * The request is handled normally (a refresh rotates the tokens and spends the old refresh
     * token), then the connection is closed before the answer is sent: the rotation hazard of a
     * response lost in transit.
     */
    record LoseResponse() implements Fault {
    }

    /** The home page carries a CSRF token that the refresh endpoint does not accept. */
    record StaleCsrf() implements Fault {
    }

    /**
     * 200 with DataDome's HTML challenge page where JSON was expected (anti-bot, not an answer);
     * nothing happens to the session.
     */
    record ChallengePage() implements Fault {
    }

    /** 302 to {@code geo.captcha-delivery.com} (DataDome's captcha); nothing happens to the session. */
    record CaptchaRedirect() implements Fault {
    }

    /** The request is handled normally; a successful refresh is answered 201 instead of 200. */
    record Created() implements Fault {
    }

    /**
     * The request is handled normally; a successful refresh also repeats the new tokens in its JSON
     * body ({@code access_token}, {@code refresh_token}); {@code Set-Cookie} carries them as always.
     */
    record TokensInBody() implements Fault {
    }

    /** @return {@link ChallengePage} */
    static Fault challengePage() {
        return new ChallengePage();
    }

    /** @return {@link CaptchaRedirect} */
    static Fault captchaRedirect() {
        return new CaptchaRedirect();
    }

    /** @return {@link Created} */
    static Fault created() {
        return new Created();
    }

    /** @return {@link TokensInBody} */
    static Fault tokensInBody() {
        return new TokensInBody();
    }

    /** @return {@link ServiceUnavailable} */
    static Fault serviceUnavailable() {
        return new ServiceUnavailable();
    }

    /** @return {@link DropConnection} */
    static Fault dropConnection() {
        return new DropConnection();
    }

    /**
     * @param delay how long to hold the answer back
     * @return {@link Slow}
     */
    static Fault slow(Duration delay) {
        return new Slow(delay);
    }

    /**
     * @param retryAfter the delay announced
     * @return {@link RateLimited}
     */
    static Fault rateLimited(Duration retryAfter) {
        return new RateLimited(retryAfter);
    }

    /** @return {@link OkWithoutToken} */
    static Fault okWithoutToken() {
        return new OkWithoutToken();
    }

    /** @return {@link BlockedPage} */
    static Fault blockedPage() {
        return new BlockedPage();
    }

    /** @return {@link AccessDenied} */
    static Fault accessDenied() {
        return new AccessDenied();
    }

    /** @return {@link InvalidToken} */
    static Fault invalidToken() {
        return new InvalidToken();
    }

    /** @return {@link LoseResponse} */
    static Fault loseResponse() {
        return new LoseResponse();
    }

    /** @return {@link StaleCsrf} */
    static Fault staleCsrf() {
        return new StaleCsrf();
    }
}
