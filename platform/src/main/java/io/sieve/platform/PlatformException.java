package io.sieve.platform;

/** A platform operation failed; the message says why and, where there is one, which log file to read. */
public class PlatformException extends RuntimeException {
    public PlatformException(String message) {
        super(message);
    }

    public PlatformException(String message, Throwable cause) {
        super(message, cause);
    }
}
