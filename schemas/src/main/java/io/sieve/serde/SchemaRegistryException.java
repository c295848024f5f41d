package io.sieve.serde;

import org.apache.kafka.common.errors.SerializationException;

/** A failure to register or resolve a schema; its message names the registry URL or schema id. */
public class SchemaRegistryException extends SerializationException {
    public SchemaRegistryException(String message) {
        super(message);
    }

    public SchemaRegistryException(String message, Throwable cause) {
        super(message, cause);
    }
}
