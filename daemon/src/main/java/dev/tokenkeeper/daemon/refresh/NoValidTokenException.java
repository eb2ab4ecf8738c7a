package dev.tokenkeeper.daemon.refresh;

/** The daemon holds no token valid for as long as asked, and could not get one. */
public class NoValidTokenException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final boolean needsHuman;

    /**
     * @param message    why, and what to do
     * @param needsHuman true when only a re-import can help
     */
    public NoValidTokenException(String message, boolean needsHuman) {
        super(message);
        this.needsHuman = needsHuman;
    }

    /** @return true when only a re-import or authorization can help */
    public boolean needsHuman() {
        return needsHuman;
    }
}
