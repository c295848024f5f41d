package io.sieve.serde;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;

/**
 * A registry inside this JVM, shared by name ({@code mock://name}): for topology tests and
 * offline tools that need the wire format but no server.
 */
public final class InMemorySchemaRegistry implements SchemaRegistry {
    private static final Map<String, InMemorySchemaRegistry> BY_NAME = new ConcurrentHashMap<>();

    private final AtomicInteger nextId = new AtomicInteger(1);
    private final Map<Schema, Integer> ids = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();
    private final Map<String, Map<Schema, Integer>> subjects = new ConcurrentHashMap<>();

    public static InMemorySchemaRegistry named(String name) {
        return BY_NAME.computeIfAbsent(name, n -> new InMemorySchemaRegistry());
    }

    @Override
    public int register(String subject, Schema schema) {
        int id = ids.computeIfAbsent(schema, s -> {
            int next = nextId.getAndIncrement();
            schemas.put(next, s);
            return next;
        });
        subjects.computeIfAbsent(subject, s -> new ConcurrentHashMap<>()).put(schema, id);
        return id;
    }

    @Override
    public int lookup(String subject, Schema schema) {
        Integer id = subjects.getOrDefault(subject, Map.of()).get(schema);
        if (id == null) {
            throw new SchemaRegistryException("schema " + schema.getFullName() + " is not registered under subject " + subject
                    + " in the in-memory registry and auto-registration is off");
        }
        return id;
    }

    @Override
    public Schema schemaById(int id) {
        Schema schema = schemas.get(id);
        if (schema == null) {
            throw new SchemaRegistryException("schema id " + id + " is unknown to the in-memory registry");
        }
        return schema;
    }
}
