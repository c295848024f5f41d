package io.sieve.stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.sieve.cascade.filter.CameraFilters;
import io.sieve.cascade.runtime.CascadeStage;
import io.sieve.client.ClusterConfig;
import io.sieve.client.Topics;
import io.sieve.schemas.DeadLetter;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.Prediction;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryCommand;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The stream app's two Kafka Streams instances as production builds them ({@link CascadeTopology#buildStages}
 * and, when aggregating, {@link CascadeTopology#buildQueries}), each in a TopologyTestDriver with the
 * app's own properties, joined the way the broker joins them: the data path's predictions go to the
 * control path, and the control path's query states to the data path.
 */
final class PipelineDriver implements AutoCloseable {
    private final Topics topics;
    private final TopologyTestDriver stages;
    private final TopologyTestDriver queries;
    private final TestOutputTopic<String, Prediction> stagePredictions;
    private final TestOutputTopic<String, DeadLetter> deadLetters;
    private final TestInputTopic<String, Prediction> queryPredictions;
    private final TestOutputTopic<String, QueryCommand> queryStatesOut;
    private final TestInputTopic<String, QueryCommand> queryStatesIn;
    private final TestInputTopic<String, QueryCommand> controlQueryStatesIn;
    private final TestOutputTopic<String, Progress> progress;
    private final TestOutputTopic<String, QueryCommand> commands;
    private final List<Prediction> predictions = new ArrayList<>();

    /** @param aggregation the control path's settings, or null to run the data path alone (an instance running only later stages) */
    PipelineDriver(Topics topics, List<CascadeStage> cascade, Set<Integer> selected, CameraFilters filters, double auditRate,
                   CascadeTopology.Aggregation aggregation, MeterRegistry meters) {
        this.topics = topics;
        ClusterConfig cluster = ClusterConfig.embeddedDefaults();
        StreamAppConfig config = StreamAppConfig.from(cluster, Path.of("."));
        Topology data = CascadeTopology.buildStages(new StreamsBuilder(), topics, cascade, selected, filters, Duration.ZERO, auditRate, meters,
                Clock.systemUTC());
        this.stages = new TopologyTestDriver(data, testProperties(SieveStreamApp.streamsProperties(cluster, config, "data-path")));
        this.stagePredictions = output(stages, topics.predictions().name(), topics.predictions().valueSerde().deserializer());
        this.deadLetters = output(stages, topics.deadLetters().name(), topics.deadLetters().valueSerde().deserializer());
        this.queryStatesIn = stages.createInputTopic(topics.queryStates().name(), new StringSerializer(),
                topics.queryStates().valueSerde().serializer());
        if (aggregation == null) {
            this.queries = null;
            this.queryPredictions = null;
            this.queryStatesOut = null;
            this.controlQueryStatesIn = null;
            this.progress = null;
            this.commands = null;
        } else {
            Topology control = CascadeTopology.buildQueries(new StreamsBuilder(), topics, cascade, aggregation, meters, Clock.systemUTC());
            this.queries = new TopologyTestDriver(control, testProperties(SieveStreamApp.controlPathProperties(cluster, config)));
            this.queryPredictions = queries.createInputTopic(topics.predictions().name(), new StringSerializer(),
                    topics.predictions().valueSerde().serializer());
            this.queryStatesOut = output(queries, topics.queryStates().name(), topics.queryStates().valueSerde().deserializer());
            this.controlQueryStatesIn = queries.createInputTopic(topics.queryStates().name(), new StringSerializer(),
                    topics.queryStates().valueSerde().serializer());
            this.progress = output(queries, topics.progress().name(), topics.progress().valueSerde().deserializer());
            this.commands = output(queries, topics.queries().name(), topics.queries().valueSerde().deserializer());
        }
    }

    private static Properties testProperties(Properties production) {
        Properties props = new Properties();
        props.putAll(production);
        props.put("bootstrap.servers", "unused:9092");
        return props;
    }

    private static <V> TestOutputTopic<String, V> output(TopologyTestDriver driver, String topic,
                                                         org.apache.kafka.common.serialization.Deserializer<V> values) {
        return driver.createOutputTopic(topic, new StringDeserializer(), values);
    }

    /** Sends raw bytes to stage {@code stage}'s frame topic. */
    void pipe(int stage, String key, byte[] value) {
        stages.createInputTopic(topics.frames(stage).name(), new StringSerializer(), new ByteArraySerializer()).pipeInput(key, value);
        relay();
    }

    void pipe(int stage, FrameBatch batch) {
        pipe(stage, batch.getCameraId(), encode(stage, batch));
    }

    byte[] encode(int stage, FrameBatch batch) {
        return topics.frames(stage).valueSerde().serializer().serialize(topics.frames(stage).name(), batch);
    }

    void command(QueryCommand command) {
        queries.createInputTopic(topics.queries().name(), new StringSerializer(), topics.queries().valueSerde().serializer())
                .pipeInput(command.getQueryId(), command);
        relay();
    }

    /** Sends raw bytes to the queries topic. */
    void rawCommand(String key, byte[] value) {
        queries.createInputTopic(topics.queries().name(), new StringSerializer(), new ByteArraySerializer()).pipeInput(key, value);
        relay();
    }

    void advanceWallClockTime(Duration duration) {
        stages.advanceWallClockTime(duration);
        if (queries != null) {
            queries.advanceWallClockTime(duration);
        }
        relay();
    }

    /** What the broker would carry between the two instances. */
    private void relay() {
        List<Prediction> fresh = stagePredictions.readValuesToList();
        predictions.addAll(fresh);
        if (queries != null) {
            fresh.forEach(p -> queryPredictions.pipeInput(p.getCameraId(), p));
            // Both instances read query states as a global table (the control path its own output).
            queryStatesOut.readKeyValuesToList().forEach(kv -> {
                queryStatesIn.pipeInput(kv.key, kv.value);
                controlQueryStatesIn.pipeInput(kv.key, kv.value);
            });
        }
    }

    /** Predictions written since the last call. */
    List<Prediction> predictions() {
        List<Prediction> out = List.copyOf(predictions);
        predictions.clear();
        return out;
    }

    TestOutputTopic<String, DeadLetter> deadLetters() {
        return deadLetters;
    }

    TestOutputTopic<String, Progress> progress() {
        return progress;
    }

    /** Commands the control path wrote to the queries topic itself (a query stopped at its precision). */
    TestOutputTopic<String, QueryCommand> commands() {
        return commands;
    }

    /** The data path's output topic {@code topic}, e.g. the next stage's frames. */
    <V> TestOutputTopic<String, V> dataOutput(String topic, org.apache.kafka.common.serialization.Deserializer<V> values) {
        return output(stages, topic, values);
    }

    @Override
    public void close() {
        stages.close();
        if (queries != null) {
            queries.close();
        }
    }
}
