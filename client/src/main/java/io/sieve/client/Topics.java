package io.sieve.client;

import io.sieve.schemas.DeadLetter;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.Prediction;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryCommand;
import io.sieve.serde.AvroSerde;
import io.sieve.serde.SchemaRegistry;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Sieve's topics. Frames enter on {@code frames}; frames a stage is unsure of go to
 * {@code frames-stage-<n>} for stage n; every frame's answer goes to {@code predictions};
 * what cannot be processed goes to {@code dead-letters}. Keys are camera ids on frame topics, so a
 * camera's frames stay in one partition and in order.
 *
 * <p>The serdes are made once, over one schema-registry client, so every topic shares its caches:
 * a serde made per call would start with an empty cache and ask the registry again.
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
    private final Serde<FrameBatch> frameBatches;
    private final Topic<String, Prediction> predictions;
    private final Topic<String, DeadLetter> deadLetters;
    private final Topic<String, QueryCommand> queries;
    private final Topic<String, QueryCommand> queryStates;
    private final Topic<String, Progress> progress;

    public Topics(String prefix, String registryUrl) {
        this.prefix = prefix == null ? "" : prefix;
        this.registryUrl = registryUrl;
        SchemaRegistry registry = SchemaRegistry.forUrl(registryUrl);
        this.frameBatches = avro(FrameBatch.getClassSchema(), registry);
        this.predictions = topic(PREDICTIONS, avro(Prediction.getClassSchema(), registry));
        this.deadLetters = topic(DEAD_LETTERS, avro(DeadLetter.getClassSchema(), registry));
        Serde<QueryCommand> commands = avro(QueryCommand.getClassSchema(), registry);
        this.queries = topic(QUERIES, commands);
        this.queryStates = topic(QUERY_STATES, commands);
        this.progress = topic(PROGRESS, avro(Progress.getClassSchema(), registry));
    }

    /** The frame batches stage {@code stage} reads: {@code frames} for stage 0, {@code frames-stage-<n>} after it. */
    public Topic<String, FrameBatch> frames(int stage) {
        if (stage < 0) {
            throw new IllegalArgumentException("stage " + stage + " is negative");
        }
        return new Topic<>(prefix + (stage == 0 ? FRAMES : FRAMES + "-stage-" + stage), Serdes.String(), frameBatches);
    }

    public Topic<String, Prediction> predictions() {
        return predictions;
    }

    public Topic<String, DeadLetter> deadLetters() {
        return deadLetters;
    }

    /** Query commands, keyed by query id; compacted, so the latest command of every query is kept. */
    public Topic<String, QueryCommand> queries() {
        return queries;
    }

    /** The latest command of every query as the aggregator has applied it; every instance reads it as a global table. */
    public Topic<String, QueryCommand> queryStates() {
        return queryStates;
    }

    /** Every query's running answer, keyed by query id. */
    public Topic<String, Progress> progress() {
        return progress;
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

    private <V> Topic<String, V> topic(String name, Serde<V> values) {
        return new Topic<>(prefix + name, Serdes.String(), values);
    }

    private static <T extends SpecificRecord> Serde<T> avro(org.apache.avro.Schema schema, SchemaRegistry registry) {
        return new AvroSerde<>(schema, registry);
    }
}
