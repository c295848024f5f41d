package io.sieve.cascade.calibration;

import io.sieve.cascade.definition.ReliabilityTable;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReliabilityTableTest {

    @Test
    void binsCoverExactlyTheFramesTheStageDecidesAndCountWhatWasRight() {
        int n = 1000;
        int[][] labels = new int[2][n];
        float[][] confidence = new float[2][n];
        int[] truth = new int[n];
        for (int i = 0; i < n; i++) {
            confidence[0][i] = i / (float) n;
            // Right exactly when confidence >= 0.75, so the top bins are perfect and the bottom one is not.
            labels[0][i] = confidence[0][i] >= 0.75f ? 0 : 1;
            confidence[1][i] = 0.9f;
        }
        ScoreTable table = new ScoreTable(labels, confidence, truth, new double[] {1, 5});
        Thresholds thresholds = Thresholds.of(0.5);
        ReliabilityTable stage0 = table.reliability(thresholds, 0, 5, 30);
        assertThat(stage0.frames()).isEqualTo(500);
        assertThat(stage0.bins()).hasSize(5);
        assertThat(stage0.bins().get(0).low()).isZero();
        assertThat(stage0.bins().get(0).accuracy()).isZero();
        assertThat(stage0.bins().get(4).accuracy()).isEqualTo(1.0);
        assertThat(stage0.binOf(0.99)).isEqualTo(stage0.bins().get(4));
        assertThat(stage0.binOf(0.55)).isEqualTo(stage0.bins().get(0));
        assertThat(stage0.bins().stream().mapToInt(ReliabilityTable.Bin::correct).sum()).isEqualTo(250);

        ReliabilityTable stage1 = table.reliability(thresholds, 1, 10, 30);
        assertThat(stage1.frames()).isEqualTo(500);
        assertThat(stage1.bins()).hasSize(1);
    }
}
