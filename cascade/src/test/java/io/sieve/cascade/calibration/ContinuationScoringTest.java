package io.sieve.cascade.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.cascade.model.ClassProbabilities;
import io.sieve.cascade.model.Fixtures;
import io.sieve.cascade.model.OnnxClassifier;
import io.sieve.images.Image;
import io.sieve.images.LabelledImages;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Calibration scores and costs a stage that continues the one before it as the cascade runs it. */
class ContinuationScoringTest {

    @Test
    void aStageHandingOnRunsWheneverItsContinuationDoesAndTheReferenceIsTheWholeChain() {
        // Stage 0 decides image 0; stage 1 never lets a frame exit but hands on to stage 2, which decides the rest.
        int[][] labels = {{0, 1, 1}, {0, 1, 1}, {0, 1, 1}};
        float[][] confidence = {{0.9f, 0.1f, 0.1f}, {0.5f, 0.5f, 0.5f}, {1, 1, 1}};
        double[] costs = {1, 10, 30};
        Thresholds thresholds = new Thresholds(new double[] {0.8, Thresholds.NEVER}, null);
        ScoreTable chained = new ScoreTable(labels, confidence, new int[] {0, 1, 1}, costs, new boolean[] {false, true, false});
        assertThat(chained.evaluate(thresholds).meanCost()).isEqualTo((1 + 2 * (1 + 10 + 30)) / 3.0);
        assertThat(chained.referenceCost()).isEqualTo(40);
        ScoreTable separate = new ScoreTable(labels, confidence, new int[] {0, 1, 1}, costs);
        assertThat(separate.evaluate(thresholds).meanCost()).isEqualTo((1 + 2 * (1 + 30)) / 3.0);
        assertThat(separate.referenceCost()).isEqualTo(30);
    }

    @Test
    void aChainScoresTheContinuationOnWhatTheModelBeforeItHandedOn() {
        List<Image> images = Fixtures.randomImages(7, 70);
        LabelledImages data = new LabelledImages("random", List.of("a", "b"), images, new int[images.size()], "");
        try (OnnxClassifier trunk = OnnxClassifier.load(Fixtures.card("tiny_trunk"), 1);
             OnnxClassifier rest = OnnxClassifier.load(Fixtures.card("tiny_trunk_rest"), 1);
             OnnxClassifier whole = OnnxClassifier.load(Fixtures.card("tiny_trunk_whole"), 1)) {
            assertThatThrownBy(() -> new ModelScores.Chain(data, 32).measure(rest, Set.of(), n -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scored right after it");
            ModelScores.Chain chain = new ModelScores.Chain(data, 32);
            chain.measure(trunk, Set.of("features"), n -> { });
            List<ClassProbabilities> scored = chain.measure(rest, Set.of(), n -> { }).predictions();
            List<ClassProbabilities> expected = whole.predict(images);
            for (int i = 0; i < images.size(); i++) {
                assertThat(scored.get(i).label()).isEqualTo(expected.get(i).label());
                assertThat(scored.get(i).maxProbability()).isCloseTo(expected.get(i).maxProbability(), org.assertj.core.data.Offset.offset(1e-5f));
            }
        }
    }
}
