package io.sieve.cascade.runtime;

import io.sieve.cascade.definition.CascadeDefinition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.cascade.evaluation.CascadeRun;
import io.sieve.cascade.model.ConfidenceMeasure;
import io.sieve.images.LabelledImages;
import io.sieve.cascade.model.Fixtures;
import io.sieve.images.Image;
import io.sieve.cascade.model.OnnxClassifier;
import io.sieve.cascade.model.ClassProbabilities;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CascadeTest {

    @Test
    void framesBelowTheThresholdGoOnAndTheLastStageDecidesTheRest(@TempDir Path dir) throws Exception {
        List<Image> images = Fixtures.randomImages(1, 200);
        float[] confidences;
        try (OnnxClassifier first = OnnxClassifier.load(Fixtures.card("tiny_logits"), 1)) {
            confidences = new float[images.size()];
            List<ClassProbabilities> predictions = first.predict(images);
            for (int i = 0; i < confidences.length; i++) {
                confidences[i] = predictions.get(i).maxProbability();
            }
        }
        float[] sorted = confidences.clone();
        Arrays.sort(sorted);
        float median = sorted[sorted.length / 2];
        Path file = writeCascade(dir, median);
        try (Cascade cascade = Cascade.load(file, 1)) {
            List<List<StageDecision>> trails = cascade.classify(images);
            int exitedEarly = 0;
            for (List<StageDecision> trail : trails) {
                StageDecision first = trail.get(0);
                assertThat(first.stage()).isZero();
                if (first.confidence() >= median) {
                    assertThat(trail).hasSize(1);
                    assertThat(first.exits()).isTrue();
                    exitedEarly++;
                } else {
                    assertThat(trail).hasSize(2);
                    assertThat(first.exits()).isFalse();
                    assertThat(trail.get(1).stage()).isEqualTo(1);
                    assertThat(trail.get(1).exits()).isTrue();
                }
            }
            assertThat(exitedEarly).isBetween(90, 110);
        }
    }

    @Test
    void anInProcessRunAuditsTheAskedShareOfTheEarlyDecidedFramesAsTheStreamAppWould(@TempDir Path dir) throws Exception {
        List<Image> images = Fixtures.randomImages(2, 400);
        LabelledImages data = new LabelledImages("random", List.of("a", "b", "c"), images, new int[images.size()], "");
        try (Cascade cascade = Cascade.load(writeCascade(dir, 0.0), 1)) {
            // Threshold 0: the first stage decides every frame, so every picked frame is an audit.
            assertThat(CascadeRun.run(cascade, data, 64, 0, n -> { }).audits()).isZero();
            assertThat(CascadeRun.run(cascade, data, 64, 1, n -> { }).audits()).isEqualTo(400);
            CascadeRun half = CascadeRun.run(cascade, data, 64, 0.5, n -> { });
            assertThat(half.audits()).isBetween(160, 240);
            assertThat(half.reached()).containsExactly(400, 0);
            assertThat(half.exits()).containsExactly(400, 0);
        }
    }

    @Test
    void theConfidenceLevelIsTheRecordedOneOrTheCalibratorsDefault() {
        assertThat(new CascadeDefinition("recorded", List.of(), java.util.Map.of("confidence_level", 0.95), null).confidenceLevel())
                .isEqualTo(0.95);
        assertThat(new CascadeDefinition("by hand", List.of(), null, null).confidenceLevel())
                .isEqualTo(io.sieve.cascade.definition.CascadeDefinition.DEFAULT_CONFIDENCE_LEVEL);
    }

    @Test
    void aStageOtherThanTheLastWithoutAThresholdIsRejected(@TempDir Path dir) throws Exception {
        Path file = writeCascade(dir, 0.5);
        Files.writeString(file, Files.readString(file).replaceFirst(",\\s*\"threshold\"\\s*:\\s*0\\.5", ""));
        assertThatThrownBy(() -> Cascade.load(file, 1)).hasMessageContaining("stage 0").hasMessageContaining("needs a threshold");
    }

    @Test
    void anUnknownModelIsAnErrorNamingTheCard(@TempDir Path dir) throws Exception {
        Path file = writeCascade(dir, 0.5);
        Files.writeString(file, Files.readString(file).replace("tiny_softmax.card.json", "no_such_model.card.json"));
        assertThatThrownBy(() -> Cascade.load(file, 1)).hasMessageContaining("no_such_model.card.json");
    }

    private static Path writeCascade(Path dir, double threshold) throws Exception {
        String fixtures = Fixtures.card("tiny_logits").getParent().toString();
        CascadeDefinition definition = new CascadeDefinition("test", List.of(
                new CascadeDefinition.StageDefinition(fixtures + "/tiny_logits.card.json", ConfidenceMeasure.MAX_PROBABILITY,
                        threshold, null, null, null, null, null),
                new CascadeDefinition.StageDefinition(fixtures + "/tiny_softmax.card.json", ConfidenceMeasure.MAX_PROBABILITY,
                        null, null, null, null, null, null)), null, null);
        Path file = dir.resolve("test.cascade.json");
        definition.write(file);
        return file;
    }
}
