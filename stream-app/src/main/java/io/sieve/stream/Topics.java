package io.sieve.stream;

import io.sieve.schemas.DeadLetter;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.Prediction;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryCommand;
import io.sieve.serde.AvroSerde;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Sieve's topics. Frames enter on {@code frames}; frames a stage is unsure of go to
 * {@code frames-stage-<n>} for stage n; every frame's answer goes to {@code predictions};
 * what cannot be processed goes to {@code dead-letters}. Keys are camera ids throughout, so a
 * camera's frames stay in one partition and in order.
 */
public final class Topics {
    public static final String FRAMES = "frames";
    public static final String PREDICTIONS = "predictions";
    public static final String DEAD_LETTERS = "dead-letters";
    public static final String QUERIES = "queries";
    public static final String PROGRESS = "progress";
    public static final String QUERY_STATES = "query-states";
    public static final String RAW_DEAD_LETTERS = "dead-letters-raw";

    private final String prefix;
    private final String registryUrl;

    public Topics(String prefix, String registryUrl) {
        this.prefix = prefix == null ? "" : prefix;
        this.registryUrl = registryUrl;
    }

    /** The topic stage {@code stage} reads: raw bytes, decoded by the stage so that bad records can be dead-lettered. */
    public Topic<String, byte[]> stageInput(int stage) {
        return new Topic<>(stageInputName(stage), Serdes.String(), Serdes.ByteArray());
    }

    public String stageInputName(int stage) {
        return prefix + (stage == 0 ? FRAMES : FRAMES + "-stage-" + stage);
    }

    public Topic<String, FrameBatch> frames(int stage) {
        return new Topic<>(stageInputName(stage), Serdes.String(), avro(FrameBatch.getClassSchema()));
    }

    public Topic<String, Prediction> predictions() {
        return new Topic<>(prefix + PREDICTIONS, Serdes.String(), avro(Prediction.getClassSchema()));
    }

    public Topic<String, DeadLetter> deadLetters() {
        return new Topic<>(prefix + DEAD_LETTERS, Serdes.String(), avro(DeadLetter.getClassSchema()));
    }

    /** Query commands, keyed by query id; compacted, so the latest command of every query is kept. */
    public Topic<String, QueryCommand> queries() {
        return new Topic<>(prefix + QUERIES, Serdes.String(), avro(QueryCommand.getClassSchema()));
    }

    /** The latest command of every query as the aggregator has applied it; every instance reads it as a global table. */
    public Topic<String, QueryCommand> queryStates() {
        return new Topic<>(prefix + QUERY_STATES, Serdes.String(), avro(QueryCommand.getClassSchema()));
    }

    /** Every query's running answer, keyed by query id. */
    public Topic<String, Progress> progress() {
        return new Topic<>(prefix + PROGRESS, Serdes.String(), avro(Progress.getClassSchema()));
    }

    /**
     * Records of the control topics (queries, predictions, query states) that cannot be decoded, as
     * Kafka Streams' own dead-letter records: the original key and value bytes, with the exception
     * in the headers. (Frames are decoded by the stages, which write {@link #deadLetters()}.)
     */
    public String rawDeadLetters() {
        return prefix + RAW_DEAD_LETTERS;
    }

    public String registryUrl() {
        return registryUrl;
    }

    private <T extends SpecificRecord> Serde<T> avro(Schema schema) {
        return AvroSerde.forValues(schema, registryUrl);
    }
}
