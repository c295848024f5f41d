package io.sieve.serde;

import org.apache.avro.Schema;

/** The part of a Confluent-compatible schema registry the serdes use. */
public interface SchemaRegistry {
    /** URL scheme of a process-local in-memory registry, as Confluent's serdes use it for tests. */
    String IN_MEMORY_SCHEME = "mock://";

    /** Registers {@code schema} under {@code subject} (idempotent) and returns its global id. */
    int register(String subject, Schema schema);

    /** The id of {@code schema} already registered under {@code subject}; never registers. */
    int lookup(String subject, Schema schema);

    /** The schema with global id {@code id}; an unknown id is an error naming it. */
    Schema schemaById(int id);

    /** An HTTP client for {@code url}, or the shared in-memory registry named by a {@code mock://name} URL. */
    static SchemaRegistry forUrl(String url) {
        if (url != null && url.startsWith(IN_MEMORY_SCHEME)) {
            return InMemorySchemaRegistry.named(url.substring(IN_MEMORY_SCHEME.length()));
        }
        return new HttpSchemaRegistry(url);
    }
}
