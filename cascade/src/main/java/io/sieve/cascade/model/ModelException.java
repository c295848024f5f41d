package io.sieve.cascade.model;

/** A model cannot be loaded or run; the message names the model. */
public class ModelException extends RuntimeException {
    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
