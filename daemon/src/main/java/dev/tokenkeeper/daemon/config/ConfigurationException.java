package dev.tokenkeeper.daemon.config;

/** A setting is missing or wrong; the message names it and says what to do. */
public class ConfigurationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message which setting, what is wrong, what to do */
    public ConfigurationException(String message) {
        super(message);
    }
}
