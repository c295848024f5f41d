package io.sieve.cascade.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ThresholdControlTest {
    private static final List<Double> CALIBRATED = Arrays.asList(0.5, null);
    private static final double AUDIT = 0.1;

    /**
     * A two-stage stream: stage 0's confidence is uniform, it exits at the control's threshold, and
     * its answer differs from the last stage's with {@code lowDisagreement} below confidence 0.7 and
     * 1% above; the control decides every 100 frames. Returns the share of frames answered otherwise
     * than the last stage would, over the last half of the stream.
     */
    private static double run(ThresholdControl control, double lowDisagreement, int frames, long seed) {
        Random random = new Random(seed);
        long lostLate = 0;
        for (int f = 1; f <= frames; f++) {
            double confidence = random.nextDouble();
            boolean differs = random.nextDouble() < (confidence < 0.7 ? lowDisagreement : 0.01);
            int early = differs ? 1 : 0;
            boolean exits = confidence >= control.threshold(0);
            boolean audited = exits && random.nextDouble() < AUDIT;
            List<ThresholdControl.Verdict> verdicts = List.of(new ThresholdControl.Verdict(0, confidence, early));
            if (exits) {
                control.observe(verdicts, audited ? Integer.valueOf(0) : null, AUDIT, null);
                lostLate += f > frames / 2 && differs ? 1 : 0;
            } else {
                control.observe(List.of(new ThresholdControl.Verdict(0, confidence, early), new ThresholdControl.Verdict(1, 1, 0)), 0, 1, null);
            }
            if (f % 100 == 0) {
                control.decide();
            }
        }
        return (double) lostLate / (frames / 2);
    }

    @Test
    void aStreamWithinItsBudgetKeepsCalibrationsThresholds() {
        for (long seed = 1; seed <= 20; seed++) {
            ThresholdControl control = new ThresholdControl(ThresholdControl.Measure.DISAGREEMENT, 0.02, CALIBRATED, 10_000);
            double loss = run(control, 0.02, 10_000, seed);
            assertThat(control.changes(0)).as("seed %d: changes with a loss of %.4f", seed, loss).isZero();
            assertThat(control.threshold(0)).isEqualTo(0.5);
            assertThat(Double.isNaN(control.threshold(1))).as("the last stage is not controlled").isTrue();
        }
    }

    @Test
    void aStreamOverItsBudgetRaisesTheThresholdUntilTheLossFitsAndSaysSo() {
        // Loss at calibration's threshold: 20% of frames exit between 0.5 and 0.7 and 30% of those differ: 6.3 points.
        ThresholdControl control = new ThresholdControl(ThresholdControl.Measure.DISAGREEMENT, 0.02, CALIBRATED, 10_000);
        double lateLoss = run(control, 0.30, 10_000, 7);
        assertThat(control.threshold(0)).as("raised to near 0.7, where the disagreeing exits end").isBetween(0.6, 0.75);
        assertThat(control.changes(0)).isPositive();
        assertThat(lateLoss).as("loss over the second half").isLessThanOrEqualTo(0.03);
        assertThat(control.currentLoss().estimate()).isLessThan(0.063);
        ThresholdControl copy = ThresholdControl.restore(ThresholdControl.Measure.DISAGREEMENT, 0.02, CALIBRATED, 10_000, control.state());
        assertThat(copy.threshold(0)).isEqualTo(control.threshold(0));
        assertThat(copy.currentLoss()).isEqualTo(control.currentLoss());
        assertThatThrownBy(() -> ThresholdControl.restore(ThresholdControl.Measure.DISAGREEMENT, 0.02, Arrays.asList(0.5, 0.6, null), 10_000, control.state()))
                .hasMessageContaining("another cascade");
    }

    @Test
    void aRaisedThresholdComesDownWhenTheStreamReturnsWithinBudget() {
        ThresholdControl control = new ThresholdControl(ThresholdControl.Measure.DISAGREEMENT, 0.02, CALIBRATED, 20_000);
        run(control, 0.30, 5000, 3);
        double raised = control.threshold(0);
        assertThat(raised).isGreaterThan(0.5);
        run(control, 0.0, 40_000, 4);
        assertThat(control.threshold(0)).as("lowered again").isLessThan(raised);
    }
}
