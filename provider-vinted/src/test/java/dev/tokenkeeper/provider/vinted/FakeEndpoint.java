package dev.tokenkeeper.provider.vinted;

/** The routes {@link FakeVinted} serves, for aiming faults and counting requests. */
public enum FakeEndpoint {
    /** {@code GET /}: the home page with the CSRF token. */
    HOME,
    /** {@code POST /web/api/auth/refresh}. */
    REFRESH,
    /** {@code GET /api/v2/users/current}. */
    CURRENT_USER,
    /** Anything else (answered 404). */
    OTHER,
    /** Any route: only for aiming faults. */
    ANY;

    boolean covers(FakeEndpoint actual) {
        return this == ANY || this == actual;
    }
}
