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
    void aReferenceCarriedFromAnEarlierBatchIsFollowedUntilTheSceneChanges() {
        DifferenceFilter filter = new DifferenceFilter(5);
        int[] refs = filter.references(List.of(grey(101), grey(103), grey(120), grey(121)), grey(100));
        assertThat(refs).containsExactly(DifferenceFilter.FOLLOWS_CARRIED, DifferenceFilter.FOLLOWS_CARRIED, 2, 2);
        // Off, nothing is carried: every frame is its own reference.
        assertThat(new DifferenceFilter(0).references(List.of(grey(100)), grey(100))).containsExactly(0);
    }

    @Test
    void theSweepCountsModelCallsAndAgreementCameraByCamera() {
        // Camera A: two scenes of four nearly identical frames, the labels change with the scene; camera B: one scene.
        List<Image> a = List.of(grey(10), grey(11), grey(10), grey(12), grey(200), grey(201), grey(199), grey(200));
        List<Image> b = List.of(grey(10), grey(10));
        List<int[]> labels = List.of(new int[] {1, 1, 1, 2, 5, 5, 5, 5}, new int[] {7, 7});
        var points = FilterEvaluation.sweep(List.of(a, b), labels, new double[] {0, 3, 255});
        assertThat(points.get(0).modelCalls()).isEqualTo(10);
        assertThat(points.get(0).agreement()).isEqualTo(1.0);
        // Threshold 3: one reference per scene and camera (B's first frame never follows A's last); A's frame 3 wrongly takes label 1.
        assertThat(points.get(1).modelCalls()).isEqualTo(3);
        assertThat(points.get(1).agreement()).isEqualTo(9 / 10.0);
        // Everything below 255 follows: one call per camera.
        assertThat(points.get(2).modelCalls()).isEqualTo(2);
        assertThat(FilterEvaluation.best(points, 0.99)).isEqualTo(points.get(0));
        assertThat(FilterEvaluation.best(points, 0.85).reduction()).isEqualTo(10 / 3.0);
        assertThat(FilterEvaluation.behindFilter(new int[] {0, 0, 2}, new int[] {4, 5, 6})).containsExactly(4, 4, 6);
    }
}
