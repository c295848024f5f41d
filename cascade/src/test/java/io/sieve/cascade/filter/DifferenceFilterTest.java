package io.sieve.cascade.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.images.Image;
import java.util.List;
import org.junit.jupiter.api.Test;

class DifferenceFilterTest {

    private static Image grey(int level) {
        byte[] px = new byte[4 * 4 * 3];
        java.util.Arrays.fill(px, (byte) level);
        return new Image(4, 4, 3, Image.Layout.HWC, px);
    }

    @Test
    void framesCloseToTheLastReferenceFollowItAndABigChangeStartsANewReference() {
        DifferenceFilter filter = new DifferenceFilter(5);
        // 100, 103 (follows 0), 104 (differs 4 from the reference 100: follows), 110 (10: new reference), 112 (follows 3)
        int[] refs = filter.references(List.of(grey(100), grey(103), grey(104), grey(110), grey(112)));
        assertThat(refs).containsExactly(0, 0, 0, 3, 3);
    }

    @Test
    void comparisonIsAgainstTheReferenceSoSlowDriftStillStartsNewReferences() {
        DifferenceFilter filter = new DifferenceFilter(5);
        int[] refs = filter.references(List.of(grey(100), grey(102), grey(104), grey(106), grey(108)));
        assertThat(refs).containsExactly(0, 0, 0, 3, 3);
    }

    @Test
    void aZeroThresholdMakesEveryFrameAReference() {
        assertThat(new DifferenceFilter(0).references(List.of(grey(1), grey(1), grey(1)))).containsExactly(0, 1, 2);
        assertThat(DifferenceFilter.meanAbsoluteDifference(grey(10), grey(250))).isEqualTo(240.0);
        assertThatThrownBy(() -> new DifferenceFilter(-1)).hasMessageContaining("[0, 255]");
    }

    @Test
    void theSweepCountsModelCallsAndAgreementBatchByBatch() {
        // Two scenes of four nearly identical frames each; the labels change with the scene.
        List<Image> frames = List.of(grey(10), grey(11), grey(10), grey(12), grey(200), grey(201), grey(199), grey(200));
        int[] labels = {1, 1, 1, 2, 5, 5, 5, 5};
        var points = FilterEvaluation.sweep(frames, labels, 4, new double[] {0, 3, 100});
        assertThat(points.get(0).modelCalls()).isEqualTo(8);
        assertThat(points.get(0).agreement()).isEqualTo(1.0);
        // Threshold 3: one reference per scene; frame 3 (label 2) wrongly takes label 1.
        assertThat(points.get(1).modelCalls()).isEqualTo(2);
        assertThat(points.get(1).agreement()).isEqualTo(7 / 8.0);
        // Batches of 4 are never merged, so even a huge threshold needs one call per batch.
        assertThat(points.get(2).modelCalls()).isEqualTo(2);
        assertThat(FilterEvaluation.best(points, 0.99)).isEqualTo(points.get(0));
        assertThat(FilterEvaluation.best(points, 0.8).reduction()).isEqualTo(4.0);
    }
}
