package dev.tokenkeeper.daemon.notify;

/** What one attempt to deliver an event on a channel gave. */
public sealed interface Delivery {

    /** @return one line for logs and {@code notify test}, without secrets */
    String detail();

    /** @return the metric outcome word */
    String outcome();

    /**
     * The receiver took it.
     *
     * @param detail e.g. {@code HTTP 200}
     */
    record Delivered(String detail) implements Delivery {
        @Override
        public String outcome() {
            return "delivered";
        }
    }

    /**
     * It may work later (network, timeout, 5xx, 429, a failing command).
     *
     * @param detail why not now
     */
    record Retry(String detail) implements Delivery {
        @Override
        public String outcome() {
            return "retry";
        }
    }

    /**
     * It will not work without a change of configuration (a 4xx).
     *
     * @param detail why not
     */
    record Failed(String detail) implements Delivery {
        @Override
        public String outcome() {
            return "failed";
        }
    }
}
