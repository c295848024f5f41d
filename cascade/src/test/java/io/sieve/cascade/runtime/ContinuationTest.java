package io.sieve.cascade.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.cascade.model.CarriedTensors;
import io.sieve.cascade.model.ClassProbabilities;
import io.sieve.cascade.model.ConfidenceMeasure;
import io.sieve.cascade.model.Fixtures;
import io.sieve.cascade.model.ModelException;
import io.sieve.cascade.model.OnnxClassifier;
import io.sieve.images.Image;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model that continues the one before it (tiny_trunk_rest runs on tiny_trunk's feature map;
 * tiny_pair_rest on tiny_trunk's logits and the frame) gets, for each of its frames, exactly what
 * that model computed on that frame: tiny_trunk_whole is trunk and rest in one graph.
 */
class ContinuationTest {
    private static final float TOLERANCE = 1e-5f;

    @Test
    void theRestOfANetworkOnHandedOnRowsComputesWhatTheWholeNetworkDoes() {
        List<Image> images = Fixtures.randomImages(1, 300);
        try (OnnxClassifier trunk = OnnxClassifier.load(Fixtures.card("tiny_trunk"), 1);
             OnnxClassifier rest = OnnxClassifier.load(Fixtures.card("tiny_trunk_rest"), 1);
             OnnxClassifier whole = OnnxClassifier.load(Fixtures.card("tiny_trunk_whole"), 1)) {
            trunk.requireHandsOnTo(rest);
            // 300 images cross the classifier's largest batch (256), so the hand-on is split and joined.
            CarriedTensors features = trunk.run(images, CarriedTensors.NONE, Set.of("features")).handedOn();
            assertThat(features.rows()).isEqualTo(300);
            int[] onward = {299, 3, 17, 255, 256, 0};
            List<Image> picked = Arrays.stream(onward).mapToObj(images::get).toList();
            assertSameProbabilities(rest.run(picked, features.select(onward), Set.of()).predictions(), whole.predict(picked));
        }
    }

    @Test
    void aContinuationWithoutWhatItContinuesIsRefused() {
        List<Image> images = Fixtures.randomImages(2, 3);
        try (OnnxClassifier rest = OnnxClassifier.load(Fixtures.card("tiny_trunk_rest"), 1)) {
            assertThatThrownBy(() -> rest.predict(images)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("continues model tiny_trunk").hasMessageContaining("features");
        }
    }

    @Test
    void aProducerLackingTheOutputItsContinuationTakesIsRefused() {
        try (OnnxClassifier plain = OnnxClassifier.load(Fixtures.card("tiny_logits"), 1);
             OnnxClassifier rest = OnnxClassifier.load(Fixtures.card("tiny_trunk_rest"), 1)) {
            assertThatThrownBy(() -> plain.requireHandsOnTo(rest)).isInstanceOf(ModelException.class)
                    .hasMessageContaining("no such output").hasMessageContaining("'features'");
        }
    }

    @Test
    void framesGoingOnReachTheRestWithTheirOwnFeaturesAndTheAuditRunsTheChain(@TempDir Path dir) {
        List<Image> images = Fixtures.randomImages(3, 200);
        // Stage 1 lets no frame exit (threshold above 1) but runs: the last stage needs its feature map.
        Path file = write(dir, List.of("tiny_logits", "tiny_trunk", "tiny_trunk_rest"), medianConfidence("tiny_logits", images), 1.5);
        CascadeRouter.FrameTask[] tasks = new CascadeRouter.FrameTask[images.size()];
        Arrays.fill(tasks, CascadeRouter.FrameTask.DECIDE_AND_AUDIT);
        try (Cascade cascade = Cascade.load(file, 1);
             OnnxClassifier whole = OnnxClassifier.load(Fixtures.card("tiny_trunk_whole"), 1)) {
            List<ClassProbabilities> expected = whole.predict(images);
            CascadeRouter.Routing routing = cascade.route(images, tasks);
            int early = 0;
            for (int i = 0; i < images.size(); i++) {
                CascadeRouter.FrameRoute route = routing.frames().get(i);
                if (route.decision().stage() == 0) {
                    early++;
                    assertThat(route.auditStatus()).isEqualTo(CascadeRouter.AuditStatus.DONE);
                    assertSameProbabilities(List.of(route.audit().prediction()), List.of(expected.get(i)));
                } else {
                    assertThat(route.trail()).extracting(StageDecision::stage).containsExactly(0, 1, 2);
                    assertSameProbabilities(List.of(route.decision().prediction()), List.of(expected.get(i)));
                }
            }
            assertThat(early).isBetween(90, 110);
            // Every frame ran the trunk: the undecided ones to go on, the early-decided ones for their audit.
            assertThat(routing.runs()).extracting(CascadeRouter.StageRun::frames).containsExactly(200, 200, 200);
        }
    }

    @Test
    void aContinuationTakingTheFrameAndTheLogitsBeforeItGetsEachFramesOwn(@TempDir Path dir) {
        List<Image> images = Fixtures.randomImages(4, 120);
        Path file = write(dir, List.of("tiny_trunk", "tiny_pair_rest"), medianConfidence("tiny_trunk", images));
        try (Cascade cascade = Cascade.load(file, 1);
             OnnxClassifier trunk = OnnxClassifier.load(Fixtures.card("tiny_trunk"), 1);
             OnnxClassifier pairRest = OnnxClassifier.load(Fixtures.card("tiny_pair_rest"), 1)) {
            List<List<StageDecision>> trails = cascade.classify(images);
            List<ClassProbabilities> expected = pairRest.run(images, trunk.run(images, CarriedTensors.NONE, Set.of("scores")).handedOn(),
                    Set.of()).predictions();
            int onward = 0;
            for (int i = 0; i < images.size(); i++) {
                List<StageDecision> trail = trails.get(i);
                if (trail.size() == 2) {
                    onward++;
                    assertSameProbabilities(List.of(trail.get(1).prediction()), List.of(expected.get(i)));
                }
            }
            assertThat(onward).isBetween(50, 70);
        }
    }

    @Test
    void aContinuationOutOfPlaceIsRefusedWhenTheCascadeLoads(@TempDir Path dir) {
        Path afterAnother = write(dir, List.of("tiny_logits", "tiny_trunk_rest"), 0.5);
        assertThatThrownBy(() -> Cascade.load(afterAnother, 1)).isInstanceOf(ModelException.class)
                .hasMessageContaining("continues model tiny_trunk").hasMessageContaining("comes after tiny_logits");
        Path first = write(dir, List.of("tiny_trunk_rest", "tiny_logits"), 0.5);
        assertThatThrownBy(() -> Cascade.load(first, 1)).isInstanceOf(ModelException.class).hasMessageContaining("it comes first");
    }

    @Test
    void aRouteWithoutTheStageAContinuationNeedsIsRefused(@TempDir Path dir) {
        List<Image> images = Fixtures.randomImages(5, 4);
        try (Cascade cascade = Cascade.load(write(dir, List.of("tiny_logits", "tiny_trunk", "tiny_trunk_rest"), 0.5, 0.5), 1)) {
            int[] self = {0, 1, 2, 3};
            CascadeRouter.FrameTask[] tasks = new CascadeRouter.FrameTask[4];
            Arrays.fill(tasks, CascadeRouter.FrameTask.DECIDE);
            assertThatThrownBy(() -> CascadeRouter.route(cascade.stages().subList(2, 3), images, self, tasks))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("run them together");
            assertThatThrownBy(() -> CascadeRouter.route(cascade.stages().subList(0, 2), images, self, tasks))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("run them together");
        }
    }

    private static void assertSameProbabilities(List<ClassProbabilities> actual, List<ClassProbabilities> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.size(); i++) {
            float[] a = actual.get(i).probabilities();
            float[] e = expected.get(i).probabilities();
            assertThat(a).hasSameSizeAs(e);
            for (int c = 0; c < a.length; c++) {
                assertThat(a[c]).as("image %d class %d", i, c).isCloseTo(e[c], org.assertj.core.data.Offset.offset(TOLERANCE));
            }
        }
    }

    private static float medianConfidence(String model, List<Image> images) {
        try (OnnxClassifier classifier = OnnxClassifier.load(Fixtures.card(model), 1)) {
            double[] confidences = classifier.predict(images).stream().mapToDouble(ClassProbabilities::maxProbability).sorted().toArray();
            return (float) confidences[confidences.length / 2];
        }
    }

    /** A cascade of fixture models with these thresholds for every stage before the last. */
    private static Path write(Path dir, List<String> models, double... thresholds) {
        List<CascadeDefinition.StageDefinition> stages = new ArrayList<>();
        for (int s = 0; s < models.size(); s++) {
            boolean last = s == models.size() - 1;
            stages.add(new CascadeDefinition.StageDefinition(Fixtures.card(models.get(s)).toString(), ConfidenceMeasure.MAX_PROBABILITY,
                    last ? null : thresholds[s], null, null, null, null, null));
        }
        Path file = dir.resolve(String.join("-", models) + ".cascade.json");
        try {
            new CascadeDefinition("continuation", stages, null, null).write(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return file;
    }
}
