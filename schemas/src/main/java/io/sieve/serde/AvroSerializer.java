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
    /**
     * Per thread (Kafka Streams shares one serializer among its stream threads): the output buffer and
     * encoder, reused across records, so a record costs one copy of its bytes rather than a fresh
     * encoder, its 2 KB buffer and the doubling copies of a growing stream.
     */
    private final ThreadLocal<ReusedOutput> output = ThreadLocal.withInitial(ReusedOutput::new);

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
        ReusedOutput out = output.get();
        out.reset();
        byte[] header = new byte[ConfluentWireFormat.HEADER_SIZE];
        ConfluentWireFormat.writeHeader(header, id);
        out.writeBytes(header);
        try {
            out.encoder = EncoderFactory.get().directBinaryEncoder(out, out.encoder);
            writer.write(record, out.encoder);
            out.encoder.flush();
            return out.toByteArray();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot encode " + schema.getFullName() + " for topic " + topic + ": " + e.getMessage(), e);
        } finally {
            out.shrinkIfLarge();
        }
    }

    /** A byte stream that keeps its buffer between records, and the encoder writing into it. */
    private static final class ReusedOutput extends ByteArrayOutputStream {
        /** A buffer grown beyond this by one large record is not kept for the next. */
        private static final int KEPT_BYTES = 1 << 20;
        BinaryEncoder encoder;

        ReusedOutput() {
            super(4096);
        }

        void shrinkIfLarge() {
            if (buf.length > KEPT_BYTES) {
                buf = new byte[4096];
                count = 0;
            }
        }
    }
}
