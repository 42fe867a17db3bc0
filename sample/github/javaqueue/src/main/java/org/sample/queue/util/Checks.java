package org.sample.queue.util;

/** Argument and state checks that throw with a readable message. */
public final class Checks {
    private Checks() {}

    public static void positive(int value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    public static void state(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }
}
