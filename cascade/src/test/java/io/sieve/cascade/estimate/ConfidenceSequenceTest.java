package io.sieve.cascade.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ConfidenceSequenceTest {
    private static final int STREAMS = 400;
    private static final int FRAMES = 5000;

    @Test
    void isWiderThanAFixedTimeIntervalAndTightestWhereAsked() {
        ConfidenceSequence sequence = ConfidenceSequence.tightestAt(0.95, 1000);
        assertThat(sequence.multiplier(1000)).isGreaterThan(Interval.Z95).isLessThan(3.1);
        assertThat(sequence.multiplier(1000)).isLessThan(sequence.multiplier(100)).isLessThan(sequence.multiplier(10));
        assertThat(sequence.multiplier(1000)).isLessThan(sequence.multiplier(100_000));
        assertThat(sequence.multiplier(10_000) / sequence.multiplier(1000)).as("ten times past its tightest point").isLessThan(1.1);
        assertThat(sequence.multiplier(0)).isInfinite();
        assertThatThrownBy(() -> ConfidenceSequence.tightestAt(1.5, 10)).hasMessageContaining("between 0 and 1");
    }

    /**
     * Looked at after every frame, a sequence may miss the truth at any frame at most 5% of the
     * time, where the fixed-time 95% interval misses somewhere far more often: the optional-stopping
     * problem the sequence is for. Bernoulli streams from 200 frames on, as a query may stop only then.
     */
    @Test
    void missesTheTruthAnywhereInAStreamAtMostAtItsLevelWhereFixedIntervalsDoNot() {
        Random random = new Random(7);
        ConfidenceSequence sequence = ConfidenceSequence.tightestAt(0.95, 1000);
        int sequenceMissed = 0;
        int fixedMissed = 0;
        for (int s = 0; s < STREAMS; s++) {
            double p = 0.05 + 0.9 * random.nextDouble();
            long hits = 0;
            boolean sequenceMiss = false;
            boolean fixedMiss = false;
            for (int t = 1; t <= FRAMES; t++) {
                hits += random.nextDouble() < p ? 1 : 0;
                if (t < PrecisionTarget.MIN_DECISIONS) {
                    continue;
                }
                double mean = (double) hits / t;
                double se = Math.sqrt(mean * (1 - mean) / t);
                sequenceMiss |= Math.abs(mean - p) > sequence.multiplier(t) * se;
                fixedMiss |= Math.abs(mean - p) > Interval.Z95 * se;
            }
            sequenceMissed += sequenceMiss ? 1 : 0;
            fixedMissed += fixedMiss ? 1 : 0;
        }
        assertThat((double) sequenceMissed / STREAMS).as("streams the sequence missed anywhere").isLessThanOrEqualTo(0.05);
        assertThat((double) fixedMissed / STREAMS).as("streams the fixed-time interval missed somewhere").isGreaterThan(0.25);
    }
}
