package io.sieve.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sieve.schemas.Prediction;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/** The aggregator across a restart: Kafka Streams restores its store and builds a new processor over it. */
class QueryAggregatorTest {
    private final KeyValueStore<String, byte[]> store = Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(CascadeTopology.AGGREGATES_STORE), Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled().build();

    @Test
    void aRestartedAggregatorReportsTheRunningQueriesItFindsInItsStore() {
        MockProcessorContext<String, SpecificRecord> before = context();
        QueryAggregator first = aggregator(before);
        first.process(new Record<>("q-running", (SpecificRecord) QueryCommand.newBuilder().setQueryId("q-running")
                .setAction(QueryAction.START).setExpectedFrames(100L).setIssuedTime(Instant.now()).build(), 0L));
        first.process(new Record<>("q-done", (SpecificRecord) QueryCommand.newBuilder().setQueryId("q-done")
                .setAction(QueryAction.START).setExpectedFrames(1L).setIssuedTime(Instant.now()).build(), 0L));
        for (int i = 0; i < 3; i++) {
            first.process(new Record<>("q-running", prediction(i), 0L));
        }
        first.process(new Record<>("q-done", prediction(0), 0L));
        assertThat(before.forwarded()).singleElement().satisfies(r -> assertThat(((Progress) r.record().value()).getState()).isEqualTo(QueryState.DONE));

        MockProcessorContext<String, SpecificRecord> after = context();
        aggregator(after);
        after.scheduledPunctuators().get(0).getPunctuator().punctuate(0L);

        assertThat(after.forwarded()).as("the changed running query, not the finished one").singleElement().satisfies(r -> {
            assertThat(r.record().key()).isEqualTo("q-running");
            assertThat(((Progress) r.record().value()).getState()).isEqualTo(QueryState.RUNNING);
            assertThat(((Progress) r.record().value()).getFramesSeen()).isEqualTo(3);
        });
        after.resetForwards();
        after.scheduledPunctuators().get(0).getPunctuator().punctuate(500L);
        assertThat(after.forwarded()).as("nothing changed since").isEmpty();
    }

    /**
     * A query running while Sieve is upgraded: its aggregate was stored by the first version with a
     * typed state (before the audit and the drift monitor), and the new aggregator carries it on.
     */
    @Test
    void anAggregateStoredByAnEarlierVersionKeepsItsQueryRunning() throws Exception {
        org.apache.avro.Schema first = io.sieve.serde.StoredStates.history("QueryAggregateState").get(0);
        org.apache.avro.generic.GenericRecord old = new org.apache.avro.generic.GenericData.Record(first);
        old.put("expected_frames", 100L);
        old.put("target_class", null);
        old.put("live", false);
        old.put("final_state", null);
        old.put("frames_seen", 4L);
        old.put("first_decided_millis", 0L);
        old.put("last_decided_millis", 1000L);
        old.put("frames_in", List.of(4L, 1L));
        old.put("frames_decided", List.of(3L, 1L));
        old.put("inference_micros", List.of(40.0, 90.0));
        var series = new org.apache.avro.generic.GenericData.Record(first.getField("target_autocorrelation").schema());
        series.put("pairs", 0L);
        series.put("sum_x", 0.0);
        series.put("sum_xx", 0.0);
        series.put("sum_xy", 0.0);
        series.put("previous", -1);
        old.put("target_autocorrelation", series);
        old.put("estimate", null);
        java.nio.ByteBuffer bytes = new org.apache.avro.message.BinaryMessageEncoder<org.apache.avro.generic.GenericRecord>(
                org.apache.avro.generic.GenericData.get(), first).encode(old);
        byte[] stored = new byte[bytes.remaining()];
        bytes.get(stored);
        MockProcessorContext<String, SpecificRecord> context = context();
        store.put("q-upgraded", stored);

        QueryAggregator aggregator = aggregator(context);
        aggregator.process(new Record<>("q-upgraded", prediction(4), 0L));
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(0L);

        Progress progress = (Progress) context.forwarded().get(context.forwarded().size() - 1).record().value();
        assertThat(progress.getState()).isEqualTo(QueryState.RUNNING);
        assertThat(progress.getFramesSeen()).isEqualTo(5);
        assertThat(progress.getStages().get(0).getFramesIn()).as("restored; this prediction names no stage").isEqualTo(4);
        // Frames counted before the audit existed had no chance of one: the audit says it cannot tell.
        assertThat(progress.getAudit().getNote()).contains("could not be audited");
    }

    @Test
    void anAggregateStoredInTheFormerJsonFormatIsRefusedNamingTheQueryAndTheWayOut() {
        MockProcessorContext<String, SpecificRecord> context = context();
        store.put("q-old", "{\"expected\":100,\"seen\":3,\"dirty\":true}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> aggregator(context))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("query q-old")
                .hasMessageContaining("JSON format of earlier Sieve versions")
                .hasMessageContaining("platform reset");
    }

    @Test
    void aStoredAggregateOfAnotherCascadeShapeIsRefused() {
        QueryAggregator twoStages = aggregator(context());
        twoStages.process(new Record<>("q-shape", (SpecificRecord) QueryCommand.newBuilder().setQueryId("q-shape")
                .setAction(QueryAction.START).setExpectedFrames(10L).setIssuedTime(Instant.now()).build(), 0L));
        MockProcessorContext<String, SpecificRecord> context = context();
        QueryAggregator threeStages = new QueryAggregator(CascadeTopology.AGGREGATES_STORE,
                new CascadeTopology.Aggregation(List.of(), java.util.Arrays.asList(null, null, null), Duration.ofMillis(500), 1),
                List.of("a", "b"), List.of("cheap", "middle", "expensive"), new SimpleMeterRegistry(), Clock.systemUTC());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> threeStages.init(context))
                .hasMessageContaining("q-shape").hasMessageContaining("counts 2 stages but the cascade has 3");
    }

    @Test
    void aDeletedCommandStartsNoQuery() {
        MockProcessorContext<String, SpecificRecord> context = context();
        QueryAggregator aggregator = aggregator(context);
        aggregator.process(new Record<>("q-tombstone", (SpecificRecord) null, 0L));
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(0L);
        assertThat(context.forwarded()).isEmpty();
        assertThat(store.get("q-tombstone")).isNull();
    }

    @Test
    void selfCorrectingThresholdsSurviveTheStateStore() {
        var aggregation = new CascadeTopology.Aggregation(List.of(), java.util.Arrays.asList(null, null), Duration.ofMillis(500), 1, 0.0,
                java.util.Arrays.asList(0.5, null), true);
        QueryAggregate agg = QueryAggregate.empty(aggregation, 2, 2);
        agg.describe(QueryCommand.newBuilder().setQueryId("q-control").setAction(QueryAction.START).setExpectedFrames(1000L)
                .setAuditRate(1.0).setIssuedTime(java.time.Instant.now()).build());
        io.sieve.cascade.estimate.ThresholdControl control = agg.thresholdControl(aggregation, true);
        for (int f = 0; f < 300; f++) {
            control.observe(List.of(new io.sieve.cascade.estimate.ThresholdControl.Verdict(0, 0.6, 0)), 1, 1, 1);
        }
        assertThat(control.decide()).isNotEmpty();
        agg.thresholdChanges.add(new io.sieve.schemas.ThresholdChange(0, 0.5, null, 300L, 1.0, 1.0, 1.0));
        QueryAggregate read = QueryAggregate.decode("q-control", agg.encode(), aggregation, 2, 2);
        assertThat(read.thresholds.measure()).isEqualTo(io.sieve.cascade.estimate.ThresholdControl.Measure.ACCURACY_LOSS);
        assertThat(read.thresholds.threshold(0)).isEqualTo(control.threshold(0)).isGreaterThan(0.5);
        assertThat(read.thresholds.currentLoss()).isEqualTo(control.currentLoss());
        assertThat(read.thresholdChanges).isEqualTo(agg.thresholdChanges);
        assertThat(read.command.getAuditRate()).isEqualTo(1.0);
    }

    private MockProcessorContext<String, SpecificRecord> context() {
        MockProcessorContext<String, SpecificRecord> context = new MockProcessorContext<>();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
        return context;
    }

    private static QueryAggregator aggregator(MockProcessorContext<String, SpecificRecord> context) {
        QueryAggregator aggregator = new QueryAggregator(CascadeTopology.AGGREGATES_STORE,
                new CascadeTopology.Aggregation(List.of(), java.util.Arrays.asList(null, null), Duration.ofMillis(500), 1), List.of("a", "b"),
                List.of("cheap", "expensive"), new SimpleMeterRegistry(), Clock.systemUTC());
        aggregator.init(context);
        return aggregator;
    }

    private static SpecificRecord prediction(int sequence) {
        return Prediction.newBuilder().setCameraId("cam").setSequence(sequence).setCaptureTime(Instant.now()).setDecidingStage(0)
                .setModel("cheap").setLabel(1).setConfidence(0.9f).build();
    }
}
