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

    public SchemaRegistryException(String message) {
        this(message, null, false);
    }

    public SchemaRegistryException(String message, Throwable cause) {
        this(message, cause, false);
    }

    public SchemaRegistryException(String message, Throwable cause, boolean registryUnavailable) {
        super(message, cause);
        this.registryUnavailable = registryUnavailable;
    }

    public boolean registryUnavailable() {
        return registryUnavailable;
    }
}
