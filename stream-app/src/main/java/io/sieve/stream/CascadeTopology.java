package io.sieve.stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.sieve.cascade.runtime.CascadeStage;
import io.sieve.schemas.DeadLetter;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.Prediction;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

/**
 * Builds the cascade topology. Each selected stage reads its input topic (stage 0: {@code frames};
 * stage n: {@code frames-stage-n}) and writes predictions, the next stage's topic, and dead
 * letters. Running a subset of stages lets a stage scale on its own instances: e.g. one
 * application runs stage 0 and another, with more instances, runs only the expensive stage.
 */
public final class CascadeTopology {
    private CascadeTopology() {
    }

    public static Topology build(StreamsBuilder builder, Topics topics, List<CascadeStage> stages, Set<Integer> selected,
                                 MeterRegistry meters, Clock clock) {
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
        for (int s : selected.stream().sorted().toList()) {
            CascadeStage stage = stages.get(s);
            var input = topics.stageInput(s);
            var decoder = topics.frames(s).valueSerde().deserializer();
            StageMetrics metrics = new StageMetrics(meters, s, stage.model().name());
            KStream<String, Routed> routed = builder.stream(input.name(), input.consumed().withName("read-stage-" + s))
                    .process(() -> new StageProcessor(stage, decoder, metrics, clock), Named.as("stage-" + s));
            var branches = routed.split(Named.as("route-stage-" + s + "-"));
            branches.branch((k, v) -> v.kind() == Routed.Kind.PREDICTION, Branched.withConsumer(decided -> decided
                    .mapValues(v -> (Prediction) v.record(), Named.as("stage-" + s + "-prediction"))
                    .to(predictions.name(), predictions.produced().withName("stage-" + s + "-to-predictions")), "predictions"));
            if (!stage.isLast()) {
                var next = topics.frames(s + 1);
                branches.branch((k, v) -> v.kind() == Routed.Kind.NEXT_STAGE, Branched.withConsumer(unsure -> unsure
                        .mapValues(v -> (FrameBatch) v.record(), Named.as("stage-" + s + "-unsure"))
                        .to(next.name(), next.produced().withName("stage-" + s + "-to-stage-" + (s + 1))), "next"));
            }
            branches.defaultBranch(Branched.withConsumer(rejected -> rejected
                    .mapValues(v -> (DeadLetter) v.record(), Named.as("stage-" + s + "-dead-letter"))
                    .to(deadLetters.name(), deadLetters.produced().withName("stage-" + s + "-to-dead-letters")), "dead-letters"));
        }
        return builder.build();
    }
}
