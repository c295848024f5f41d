package io.sieve.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A failure to register or resolve a schema; its message names the registry URL or schema id.
 * {@link #registryUnavailable()} tells an outage (the registry cannot be reached, or answers with a
 * server error) from a record the registry cannot explain (an unknown schema id): the first is no
 * fault of the record and must not get it dead-lettered.
 */
public class SchemaRegistryException extends SerializationException {
    private final boolean registryUnavailable;
    private final int httpStatus;

    public SchemaRegistryException(String message) {
        this(message, null, false);
    }

    public SchemaRegistryException(String message, Throwable cause) {
        this(message, cause, false);
    }

    public SchemaRegistryException(String message, Throwable cause, boolean registryUnavailable) {
        super(message, cause);
        this.registryUnavailable = registryUnavailable;
        this.httpStatus = 0;
    }

    /** The registry answered with an error status; a server error (5xx) counts as an outage. */
    public SchemaRegistryException(String message, int httpStatus) {
        super(message);
        this.registryUnavailable = httpStatus >= 500;
        this.httpStatus = httpStatus;
    }

    public boolean registryUnavailable() {
        return registryUnavailable;
    }

    /** The registry's HTTP status, or 0 when it gave none (unreachable, or a malformed answer). */
    public int httpStatus() {
        return httpStatus;
    }
}
