package io.sieve.producer;

/** A source cannot be read; the message names the input and what is wrong. */
public class SourceException extends RuntimeException {
    public SourceException(String message) {
        super(message);
    }

    public SourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
