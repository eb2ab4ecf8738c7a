package dev.tokenkeeper.store.supabase;

/**
 * What PostgREST answered to one request.
 *
 * @param status the HTTP status
 * @param body   the body, at most {@link PostgrestClient#MAX_BODY_BYTES} bytes
 */
record PostgrestResponse(int status, byte[] body) {

    /** @return whether the status is 2xx */
    boolean successful() {
        return status >= 200 && status < 300;
    }

    /** @return the status and the body length only: a body may hold sealed secrets */
    @Override
    public String toString() {
        return "PostgrestResponse[" + status + ", " + body.length + " bytes]";
    }
}
