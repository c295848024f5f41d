package io.sieve.images;

/** Input data is missing or malformed; the message names the file and what is wrong with it. */
public class DataException extends RuntimeException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
