package io.sieve.serde;

import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Confluent-wire-format serde for one specific Avro class. */
public final class AvroSerde<T extends SpecificRecord> extends Serdes.WrapperSerde<T> {

    /** An unconfigured serde: Kafka calls {@link #configure} with the client properties. */
    public AvroSerde(Schema schema) {
        super(new AvroSerializer<>(schema), new AvroDeserializer<>(schema));
    }

    /** A ready serde for values, sharing {@code registry}'s caches. */
    public AvroSerde(Schema schema, SchemaRegistry registry) {
        super(new AvroSerializer<>(schema, registry, false), new AvroDeserializer<>(schema, registry));
    }

    public static <T extends SpecificRecord> Serde<T> forValues(Schema schema, String registryUrl) {
        AvroSerde<T> serde = new AvroSerde<>(schema);
        serde.configure(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, registryUrl), false);
        return serde;
    }
}
