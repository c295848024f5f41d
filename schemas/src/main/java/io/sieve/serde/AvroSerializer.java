package io.sieve.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/** Writes specific Avro records in the Confluent wire format, registering the schema under {@code <topic>-value} (or {@code -key}). */
public final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {
    private final Schema schema;
    private final SpecificDatumWriter<T> writer;
    private SchemaRegistry registry;
    private boolean isKey;
    private boolean autoRegister = true;

    public AvroSerializer(Schema schema) {
        this.schema = schema;
        this.writer = new SpecificDatumWriter<>(schema);
    }

    /** A serializer sharing an existing registry client (and its caches). */
    public AvroSerializer(Schema schema, SchemaRegistry registry, boolean isKey) {
        this(schema);
        this.registry = registry;
        this.isKey = isKey;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.registry = SchemaRegistry.forUrl(SerdeConfig.registryUrl(configs));
        this.isKey = isKey;
        this.autoRegister = SerdeConfig.autoRegister(configs);
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        if (registry == null) {
            throw new IllegalStateException("AvroSerializer used before configure(): no schema registry URL");
        }
        String subject = topic + (isKey ? "-key" : "-value");
        int id = autoRegister ? registry.register(subject, schema) : registry.lookup(subject, schema);
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        byte[] header = new byte[ConfluentWireFormat.HEADER_SIZE];
        ConfluentWireFormat.writeHeader(header, id);
        out.writeBytes(header);
        try {
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot encode " + schema.getFullName() + " for topic " + topic + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }
}
