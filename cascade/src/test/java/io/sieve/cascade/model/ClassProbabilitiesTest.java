package io.sieve.cascade.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ClassProbabilitiesTest {

    @Test
    void aCertainPredictionHasFullConfidenceUnderEveryMeasure() {
        ClassProbabilities p = ClassProbabilities.of(new float[] {0, 0, 1, 0});
        assertThat(p.label()).isEqualTo(2);
        for (ConfidenceMeasure m : ConfidenceMeasure.values()) {
            assertThat(p.confidence(m)).as(m.name()).isCloseTo(1f, within(1e-6f));
        }
    }

    @Test
    void aUniformPredictionHasNoMarginAndMaximalEntropy() {
        ClassProbabilities p = ClassProbabilities.of(new float[] {0.25f, 0.25f, 0.25f, 0.25f});
        assertThat(p.maxProbability()).isEqualTo(0.25f);
        assertThat(p.confidence(ConfidenceMeasure.MARGIN)).isZero();
        assertThat(p.confidence(ConfidenceMeasure.ENTROPY)).isCloseTo(0f, within(1e-6f));
    }

    @Test
    void measuresOfAKnownVector() {
        ClassProbabilities p = ClassProbabilities.of(new float[] {0.1f, 0.6f, 0.3f});
        assertThat(p.label()).isEqualTo(1);
        assertThat(p.margin()).isCloseTo(0.3f, within(1e-6f));
        double entropy = -(0.1 * Math.log(0.1) + 0.6 * Math.log(0.6) + 0.3 * Math.log(0.3)) / Math.log(3);
        assertThat(p.normalisedEntropy()).isCloseTo((float) entropy, within(1e-6f));
    }
}
