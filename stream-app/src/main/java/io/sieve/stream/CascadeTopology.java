package io.sieve.stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.sieve.client.Topics;
import io.sieve.cascade.runtime.CascadeStage;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryCommand;
import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.cascade.definition.CascadeDefinition.StageDefinition;
import io.sieve.cascade.definition.ExitProfile;
import io.sieve.cascade.estimate.StageCalibration;
import io.sieve.cascade.estimate.ThresholdControl;
import io.sieve.cascade.filter.CameraFilters;
import java.time.Duration;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
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

    /**
     * How this instance aggregates predictions into query progress.
     *
     * @param lossBudget         the cascade's accuracy-loss budget, which self-correcting thresholds keep (null: none recorded)
     * @param lowestExits        per stage, calibration's lowest exit confidence (null for the last)
     * @param selfCorrectDefault whether a query that does not say corrects its thresholds
     */
    public record Aggregation(List<StageCalibration> calibration, List<ExitProfile> exitProfiles, Duration interval, int partitions,
                              Double lossBudget, List<Double> lowestExits, boolean selfCorrectDefault) {
        /** An aggregation without self-correcting thresholds. */
        public Aggregation(List<StageCalibration> calibration, List<ExitProfile> exitProfiles, Duration interval, int partitions) {
            this(calibration, exitProfiles, interval, partitions, null, List.of(), false);
        }

        /** What a cascade file gives the aggregation: its calibration tables, its stages' exit profiles, its budget and thresholds. */
        public static Aggregation of(CascadeDefinition definition, Duration interval, int partitions) {
            return new Aggregation(StageCalibration.of(definition), definition.stages().stream().map(StageDefinition::exitProfile).toList(),
                    interval, partitions, definition.lossBudget(), definition.lowestExitConfidences(), ThresholdControl.ON_BY_DEFAULT);
        }
    }

    /**
     * The stages: the data path, which the app runs in a Kafka Streams instance of its own.
     *
     * @param filters     the difference filter stage 0 applies to each camera (threshold 0 = off), and which cameras learn their background
     * @param eagerCommit the shortest time between early commits while the stages keep up (zero = off; see {@link StageProcessor})
     * @param auditRate   the share of early-decided frames the last stage labels too, where a query names none (0 = off)
     */
    public static Topology buildStages(StreamsBuilder builder, Topics topics, List<CascadeStage> stages, Set<Integer> selected,
                                       CameraFilters filters, Duration eagerCommit, double auditRate, MeterRegistry meters, Clock clock) {
        addQueryStates(builder, topics, null);
        addStages(builder, topics, stages, selected, filters, eagerCommit, auditRate, meters, clock);
        return builder.build();
    }

    /**
     * The query aggregation: the control path, run in a Kafka Streams instance of its own so that
     * an abort or a final result never waits behind batches of frames.
     */
    public static Topology buildQueries(StreamsBuilder builder, Topics topics, List<CascadeStage> stages, Aggregation aggregation,
                                        MeterRegistry meters, Clock clock) {
        LiveQueries live = new LiveQueries();
        addQueryStates(builder, topics, live);
        addAggregation(builder, topics, stages, aggregation, live, meters, clock);
        return builder.build();
    }

    /**
     * The latest command of every query, as a global store every task reads (stages drop frames of
     * aborted queries); where {@code live} is given, it also keeps the index of running live queries
     * the prediction router needs, so that no one scans every query ever run.
     */
    private static void addQueryStates(StreamsBuilder builder, Topics topics, LiveQueries live) {
        var queryStates = topics.queryStates();
        builder.addGlobalStore(Stores.timestampedKeyValueStoreBuilder(Stores.persistentTimestampedKeyValueStore(QUERY_STATES_STORE),
                        queryStates.keySerde(), queryStates.valueSerde()).withLoggingDisabled(),
                queryStates.name(), Consumed.with(queryStates.keySerde(), queryStates.valueSerde()).withName("read-query-states"),
                () -> new QueryStatesUpdater(QUERY_STATES_STORE, live));
    }

    private static void addStages(StreamsBuilder builder, Topics topics, List<CascadeStage> stages, Set<Integer> selected,
                                  CameraFilters filters, Duration eagerCommit, double auditRate, MeterRegistry meters, Clock clock) {
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
            if (stages.get(s).continuesPrevious() || stages.get(last).handsOn()) {
                int split = stages.get(s).continuesPrevious() ? s : last + 1;
                throw new IllegalArgumentException("stage " + split + " (" + stages.get(split).model().name() + ") continues stage " + (split - 1)
                        + " (" + stages.get(split - 1).model().name() + ") on outputs handed on in memory: run both in one instance "
                        + "(select stages " + (split - 1) + " and " + split + " together)");
            }
            List<CascadeStage> fused = run.stream().map(stages::get).toList();
            List<StageMetrics> metrics = fused.stream().map(stage -> new StageMetrics(meters, stage.index(), stage.model().name())).toList();
            var input = topics.frames(s);
            var decoder = input.valueSerde().deserializer();
            String name = s == last ? "stage-" + s : "stages-" + s + "-" + last;
            // Raw bytes in: the stage decodes them itself, so that a bad record becomes a dead letter.
            KStream<String, Routed> routed = builder.stream(input.name(), Consumed.with(Serdes.String(), Serdes.ByteArray())
                            .withName("read-stage-" + s))
                    .process(() -> new StageProcessor(fused, decoder, metrics, clock, QUERY_STATES_STORE, filters, eagerCommit,
                            auditRate), Named.as(name));
            var branches = routed.split(Named.as("route-" + name + "-"));
            branches.branch((k, v) -> v instanceof Routed.Decided, Branched.withConsumer(decided -> decided
                    .mapValues(v -> ((Routed.Decided) v).prediction(), Named.as(name + "-prediction"))
                    .to(predictions.name(), Produced.with(predictions.keySerde(), predictions.valueSerde()).withName(name + "-to-predictions")),
                    "predictions"));
            if (!stages.get(last).isLast()) {
                var next = topics.frames(last + 1);
                branches.branch((k, v) -> v instanceof Routed.Unsure, Branched.withConsumer(unsure -> unsure
                        .mapValues(v -> ((Routed.Unsure) v).batch(), Named.as(name + "-unsure"))
                        .to(next.name(), Produced.with(next.keySerde(), next.valueSerde()).withName(name + "-to-stage-" + (last + 1))),
                        "next"));
            }
            branches.branch((k, v) -> v instanceof Routed.Rejected, Branched.withConsumer(rejected -> rejected
                    .mapValues(v -> ((Routed.Rejected) v).letter(), Named.as(name + "-dead-letter"))
                    .to(deadLetters.name(), Produced.with(deadLetters.keySerde(), deadLetters.valueSerde()).withName(name + "-to-dead-letters")),
                    "dead-letters"));
            // Every kind a run can produce has its branch above (a last run never produces Unsure).
            branches.noDefaultBranch();
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
                                       LiveQueries live, MeterRegistry meters, Clock clock) {
        var queries = topics.queries();
        var predictions = topics.predictions();
        var progress = topics.progress();
        KStream<String, QueryCommand> commands = builder.stream(queries.name(),
                Consumed.with(queries.keySerde(), queries.valueSerde()).withName("read-queries"));
        var queryStates = topics.queryStates();
        commands.to(queryStates.name(), Produced.with(queryStates.keySerde(), queryStates.valueSerde()).withName("to-query-states"));
        KStream<String, SpecificRecord> byQuery = builder.stream(predictions.name(),
                        Consumed.with(predictions.keySerde(), predictions.valueSerde()).withName("read-predictions"))
                .process(() -> new QueryRouter(live), Named.as("route-to-queries"))
                .repartition(Repartitioned.with(predictions.keySerde(), predictions.valueSerde()).withName("predictions-by-query")
                        .withNumberOfPartitions(aggregation.partitions()))
                .mapValues(v -> (SpecificRecord) v, Named.as("prediction-event"));
        // Cached: a query's aggregate changes with every prediction, and the cache turns those into one
        // store and changelog write per query and commit.
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(AGGREGATES_STORE), Serdes.String(),
                Serdes.ByteArray()).withCachingEnabled());
        List<String> classNames = stages.get(stages.size() - 1).model().card().classes();
        List<String> models = stages.stream().map(s -> s.model().name()).toList();
        var answers = commands.mapValues(v -> (SpecificRecord) v, Named.as("command-event"))
                .merge(byQuery, Named.as("query-events"))
                .process(() -> new QueryAggregator(AGGREGATES_STORE, aggregation, classNames, models, meters, clock),
                        Named.as("aggregate-queries"), AGGREGATES_STORE)
                .split(Named.as("answer-"));
        answers.branch((k, v) -> v instanceof Progress, Branched.withConsumer(p -> p.mapValues(v -> (Progress) v, Named.as("progress-record"))
                .to(progress.name(), Produced.with(progress.keySerde(), progress.valueSerde()).withName("to-progress")), "progress"));
        // The aggregator's own commands (a STOP at a query's precision, its corrected thresholds) go where commands go,
        // so that producers and stages act on them as on a user's.
        answers.branch((k, v) -> v instanceof QueryCommand, Branched.withConsumer(c -> c.mapValues(v -> (QueryCommand) v,
                Named.as("aggregator-command")).to(queries.name(), Produced.with(queries.keySerde(), queries.valueSerde())
                .withName("to-queries")), "command"));
        answers.noDefaultBranch();
    }
}
