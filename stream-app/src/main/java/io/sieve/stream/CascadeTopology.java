package io.sieve.stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.sieve.cascade.runtime.CascadeStage;
import io.sieve.schemas.DeadLetter;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.Prediction;
import io.sieve.schemas.QueryCommand;
import io.sieve.cascade.estimate.StageCalibration;
import io.sieve.cascade.filter.DifferenceFilter;
import java.time.Duration;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

/**
 * Builds the cascade topology. Each run of consecutive selected stages reads the input topic of its
 * first stage (stage 0: {@code frames}; stage n: {@code frames-stage-n}), runs its stages fused in
 * one processor, and writes predictions, the topic of the stage after the run, and dead letters.
 * Running a subset of stages lets a stage scale on its own instances: e.g. one application runs
 * stage 0 and another, with more instances, runs only the expensive stage; frames cross a topic
 * only between stages that run apart.
 */
public final class CascadeTopology {
    private CascadeTopology() {
    }

    public static final String QUERY_STATES_STORE = "query-states-store";
    public static final String AGGREGATES_STORE = "query-aggregates";

    /** How (and whether) this instance aggregates predictions into query progress. */
    public record Aggregation(boolean enabled, List<StageCalibration> calibration, Duration interval, int partitions) {
        public static Aggregation off() {
            return new Aggregation(false, List.of(), Duration.ofMillis(500), 1);
        }
    }

    public static Topology build(StreamsBuilder builder, Topics topics, List<CascadeStage> stages, Set<Integer> selected,
                                 MeterRegistry meters, Clock clock) {
        return build(builder, topics, stages, selected, new DifferenceFilter(0), Duration.ZERO, Aggregation.off(), meters, clock);
    }

    /**
     * @param filter      the difference filter stage 0 applies within each batch (threshold 0 = off)
     * @param eagerCommit the shortest time between early commits while the stages keep up (zero = off; see {@link StageProcessor})
     */
    public static Topology build(StreamsBuilder builder, Topics topics, List<CascadeStage> stages, Set<Integer> selected,
                                 DifferenceFilter filter, Duration eagerCommit, Aggregation aggregation, MeterRegistry meters,
                                 Clock clock) {
        addQueryStates(builder, topics);
        addStages(builder, topics, stages, selected, filter, eagerCommit, meters, clock);
        if (aggregation.enabled()) {
            addAggregation(builder, topics, stages, aggregation, clock);
        }
        return builder.build();
    }

    /** The stages alone: the data path, which the app runs in its own Kafka Streams instance. */
    public static Topology buildStages(StreamsBuilder builder, Topics topics, List<CascadeStage> stages, Set<Integer> selected,
                                       DifferenceFilter filter, Duration eagerCommit, MeterRegistry meters, Clock clock) {
        addQueryStates(builder, topics);
        addStages(builder, topics, stages, selected, filter, eagerCommit, meters, clock);
        return builder.build();
    }

    /**
     * The query aggregation alone: the control path, run in a Kafka Streams instance of its own so that
     * an abort or a final result never waits behind batches of frames.
     */
    public static Topology buildQueries(StreamsBuilder builder, Topics topics, List<CascadeStage> stages, Aggregation aggregation,
                                        Clock clock) {
        addQueryStates(builder, topics);
        addAggregation(builder, topics, stages, aggregation, clock);
        return builder.build();
    }

    private static void addQueryStates(StreamsBuilder builder, Topics topics) {
        var queryStates = topics.queryStates();
        builder.globalTable(queryStates.name(), queryStates.consumed().withName("read-query-states"),
                Materialized.<String, QueryCommand, KeyValueStore<Bytes, byte[]>>as(QUERY_STATES_STORE)
                        .withKeySerde(queryStates.keySerde()).withValueSerde(queryStates.valueSerde()));
    }

    private static void addStages(StreamsBuilder builder, Topics topics, List<CascadeStage> stages, Set<Integer> selected,
                                  DifferenceFilter filter, Duration eagerCommit, MeterRegistry meters, Clock clock) {
        if (selected.isEmpty()) {
            throw new IllegalArgumentException("no stage selected to run");
        }
        for (int s : selected) {
            if (s < 0 || s >= stages.size()) {
                throw new IllegalArgumentException("stage " + s + " does not exist; the cascade has stages 0-" + (stages.size() - 1));
            }
        }
        var predictions = topics.predictions();
        var deadLetters = topics.deadLetters();
        for (List<Integer> run : consecutiveRuns(selected)) {
            int s = run.get(0);
            int last = run.get(run.size() - 1);
            List<CascadeStage> fused = run.stream().map(stages::get).toList();
            List<StageMetrics> metrics = fused.stream().map(stage -> new StageMetrics(meters, stage.index(), stage.model().name())).toList();
            var input = topics.stageInput(s);
            var decoder = topics.frames(s).valueSerde().deserializer();
            String name = s == last ? "stage-" + s : "stages-" + s + "-" + last;
            KStream<String, Routed> routed = builder.stream(input.name(), input.consumed().withName("read-stage-" + s))
                    .process(() -> new StageProcessor(fused, decoder, metrics, clock, QUERY_STATES_STORE, filter, eagerCommit), Named.as(name));
            var branches = routed.split(Named.as("route-" + name + "-"));
            branches.branch((k, v) -> v.kind() == Routed.Kind.PREDICTION, Branched.withConsumer(decided -> decided
                    .mapValues(v -> (Prediction) v.record(), Named.as(name + "-prediction"))
                    .to(predictions.name(), predictions.produced().withName(name + "-to-predictions")), "predictions"));
            if (!stages.get(last).isLast()) {
                var next = topics.frames(last + 1);
                branches.branch((k, v) -> v.kind() == Routed.Kind.NEXT_STAGE, Branched.withConsumer(unsure -> unsure
                        .mapValues(v -> (FrameBatch) v.record(), Named.as(name + "-unsure"))
                        .to(next.name(), next.produced().withName(name + "-to-stage-" + (last + 1))), "next"));
            }
            branches.defaultBranch(Branched.withConsumer(rejected -> rejected
                    .mapValues(v -> (DeadLetter) v.record(), Named.as(name + "-dead-letter"))
                    .to(deadLetters.name(), deadLetters.produced().withName(name + "-to-dead-letters")), "dead-letters"));
        }
    }

    /** The selected stages as runs of consecutive indices, e.g. {0, 1, 3} -> [[0, 1], [3]]: each run is fused in one processor. */
    static List<List<Integer>> consecutiveRuns(Set<Integer> selected) {
        List<List<Integer>> runs = new ArrayList<>();
        List<Integer> run = new ArrayList<>();
        for (int s : selected.stream().sorted().toList()) {
            if (!run.isEmpty() && run.get(run.size() - 1) != s - 1) {
                runs.add(run);
                run = new ArrayList<>();
            }
            run.add(s);
        }
        if (!run.isEmpty()) {
            runs.add(run);
        }
        return runs;
    }

    /**
     * Query commands and predictions, both keyed by query id on as many partitions, meet in the
     * aggregator; it publishes progress, and passes commands on to the query-states topic that every
     * instance reads (stages skip frames of aborted queries).
     */
    private static void addAggregation(StreamsBuilder builder, Topics topics, List<CascadeStage> stages, Aggregation aggregation,
                                       Clock clock) {
        var queries = topics.queries();
        var predictions = topics.predictions();
        var progress = topics.progress();
        KStream<String, QueryCommand> commands = builder.stream(queries.name(), queries.consumed().withName("read-queries"));
        commands.to(topics.queryStates().name(), topics.queryStates().produced().withName("to-query-states"));
        KStream<String, SpecificRecord> byQuery = builder.stream(predictions.name(), predictions.consumed().withName("read-predictions"))
                .process(() -> new QueryRouter(QUERY_STATES_STORE), Named.as("route-to-queries"))
                .repartition(Repartitioned.with(predictions.keySerde(), predictions.valueSerde()).withName("predictions-by-query")
                        .withNumberOfPartitions(aggregation.partitions()))
                .mapValues(v -> (SpecificRecord) v, Named.as("prediction-event"));
        // Cached: a query's aggregate changes with every prediction, and the cache turns those into one
        // store and changelog write per query and commit.
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(AGGREGATES_STORE), Serdes.String(),
                Serdes.ByteArray()).withCachingEnabled());
        List<String> classNames = stages.get(stages.size() - 1).model().card().classes();
        List<String> models = stages.stream().map(s -> s.model().name()).toList();
        commands.mapValues(v -> (SpecificRecord) v, Named.as("command-event"))
                .merge(byQuery, Named.as("query-events"))
                .process(() -> new QueryAggregator(AGGREGATES_STORE, aggregation.calibration(), classNames, models,
                        aggregation.interval(), clock), Named.as("aggregate-queries"), AGGREGATES_STORE)
                .to(progress.name(), progress.produced().withName("to-progress"));
    }
}
