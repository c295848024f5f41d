package io.sieve.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.schemas.QueryAggregateState;
import io.sieve.schemas.QueryState;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;

class StoredStatesTest {

    @Test
    void todaysQueryAggregateSchemaIsTheLastReleasedVersion() {
        List<Schema> history = StoredStates.history("QueryAggregateState");
        assertThat(SchemaNormalization.parsingFingerprint64(history.get(history.size() - 1)))
                .as("QueryAggregateState.avsc changed: copy it to schemas/src/main/resources/avro-history/QueryAggregateState.v"
                        + (history.size() + 1) + ".avsc, so that the aggregates stored before it stay readable")
                .isEqualTo(SchemaNormalization.parsingFingerprint64(QueryAggregateState.getClassSchema()));
    }

    @Test
    void anAggregateWrittenByAnyReleasedVersionIsReadWithTodaysDefaultsForWhatItLacks() throws Exception {
        List<Schema> history = StoredStates.history("QueryAggregateState");
        assertThat(history).hasSizeGreaterThanOrEqualTo(3);
        for (Schema version : history) {
            GenericRecord written = filled(version);
            ByteBuffer bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), version).encode(written);
            QueryAggregateState read = StoredStates.queryAggregates().decode(bytes);
            assertThat(read.getFramesSeen()).isEqualTo(7);
            assertThat(read.getTargetClass()).isEqualTo("automobile");
            assertThat(read.getFinalState()).as("a final state of version %s", version.getFullName()).isEqualTo(QueryState.DONE);
            if (version.getField("audit") == null) {
                assertThat(read.getAudit()).isNull();
            }
            if (version.getField("drift") == null) {
                assertThat(read.getDrift()).isNull();
            }
        }
    }

    /** A value of every field: 7 for counts, the union's null branch, empty arrays, records filled in turn. */
    private static GenericRecord filled(Schema schema) {
        GenericRecord record = new GenericData.Record(schema);
        for (Schema.Field field : schema.getFields()) {
            record.put(field.name(), value(field.name(), field.schema()));
        }
        return record;
    }

    private static Object value(String name, Schema schema) {
        return switch (schema.getType()) {
            case UNION -> switch (name) {
                case "target_class" -> "automobile";
                case "final_state" -> new GenericData.EnumSymbol(schema.getTypes().get(1), "DONE");
                default -> null;
            };
            case LONG -> 7L;
            case INT -> -1;
            case DOUBLE -> 0.5;
            case BOOLEAN -> false;
            case STRING -> "x";
            case ARRAY -> List.of();
            case RECORD -> filled(schema);
            default -> throw new IllegalArgumentException("no sample value for " + schema);
        };
    }
}
