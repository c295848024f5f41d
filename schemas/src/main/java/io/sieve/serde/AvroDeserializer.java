package io.sieve.serde;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent-wire-format records into a specific Avro class, resolving the writer's schema by
 * the id in the header, so records written with an older or newer compatible schema still decode.
 */
public final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
    private final Schema readerSchema;
    private final Map<Integer, SpecificDatumReader<T>> readersByWriterId = new ConcurrentHashMap<>();
    private SchemaRegistry registry;

    public AvroDeserializer(Schema readerSchema) {
        this.readerSchema = readerSchema;
    }

    public AvroDeserializer(Schema readerSchema, SchemaRegistry registry) {
        this(readerSchema);
        this.registry = registry;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.registry = SchemaRegistry.forUrl(SerdeConfig.registryUrl(configs));
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (registry == null) {
            throw new IllegalStateException("AvroDeserializer used before configure(): no schema registry URL");
        }
        int id = ConfluentWireFormat.schemaId(topic, data);
        SpecificDatumReader<T> reader = readersByWriterId.computeIfAbsent(id,
                i -> new SpecificDatumReader<>(registry.schemaById(i), readerSchema));
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, ConfluentWireFormat.HEADER_SIZE,
                data.length - ConfluentWireFormat.HEADER_SIZE, null);
        try {
            T record = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new SerializationException("trailing bytes after " + readerSchema.getFullName()
                        + " (schema id " + id + ") on topic " + topic);
            }
            return record;
        } catch (IOException | RuntimeException e) {
            if (e instanceof SerializationException se) {
                throw se;
            }
            throw new SerializationException("cannot decode " + readerSchema.getFullName() + " (schema id " + id
                    + ") on topic " + topic + ": " + e, e);
        }
    }
}
