package dev.tokenkeeper.daemon.http;

/**
 * An error answered as {@code {"error": code, "message": text}}.
 */
public class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;

    /**
     * @param status  the HTTP status
     * @param code    a short machine-readable code, e.g. {@code not_found}
     * @param message one line: what was wrong and what to do
     */
    public ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    /** @return the HTTP status */
    public int status() {
        return status;
    }

    /** @return the machine-readable code */
    public String code() {
        return code;
    }
}
