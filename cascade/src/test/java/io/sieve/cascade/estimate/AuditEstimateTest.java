package io.sieve.cascade.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sieve.cascade.definition.ReliabilityTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AuditEstimateTest {
    private static final int CLASSES = 5;

    @Test
    void anAuditedDisagreementStandsForTheInverseOfItsRate() {
        AuditEstimate audit = new AuditEstimate(CLASSES);
        for (int i = 0; i < 4; i++) {
            audit.add(0, false, 0, 0);
        }
        audit.add(1, true, 0.5, 2);
        audit.add(1, true, 0.5, 1);
        for (int i = 0; i < 4; i++) {
            audit.add(3, true, 0.5, null);
        }
        assertThat(audit.valid()).isTrue();
        assertThat(audit.earlyDecided()).isEqualTo(6);
        assertThat(audit.audited()).isEqualTo(2);
        assertThat(audit.disagreementsAudited()).isEqualTo(1);
        // One audited disagreement at rate 1/2 stands for two of the ten frames.
        assertThat(audit.disagreement(audit.frames(), Interval.Z95).estimate()).isCloseTo(0.2, within(1e-12));
        // Class 1: two answers, one of which the last stage moves to class 2 twice over.
        assertThat(audit.classCount(1, audit.frames(), Interval.Z95).estimate()).isCloseTo(0, within(1e-9));
        assertThat(audit.classCount(2, audit.frames(), Interval.Z95).estimate()).isCloseTo(2, within(1e-9));
        assertThat(audit.classCount(0, audit.frames(), Interval.Z95).estimate()).isCloseTo(4, within(1e-9));
        assertThat(audit.classCount(3, 100L, Interval.Z95).estimate()).isCloseTo(40, within(1e-9));
    }

    @Test
    void noDisagreementAuditedYetStillLeavesTheWidthTheAuditCannotRuleOut() {
        AuditEstimate audit = new AuditEstimate(CLASSES);
        for (int i = 0; i < 1000; i++) {
            audit.add(i % CLASSES, true, 0.05, i % 20 == 0 ? i % CLASSES : null);
        }
        Interval live = audit.disagreement(audit.frames(), Interval.Z95);
        assertThat(live.estimate()).isZero();
        assertThat(live.low()).isZero();
        // About 50 audited frames, none disagreeing: up to a few percent is still plausible.
        assertThat(live.high()).isBetween(0.02, 0.2);
        Interval count = audit.classCount(2, audit.frames(), Interval.Z95);
        assertThat(count.estimate()).isEqualTo(200);
        assertThat(count.high() - count.low()).isGreaterThan(10);
    }

    @Test
    void earlyFramesTheAuditCouldNotPickMakeTheEstimateInvalid() {
        AuditEstimate audit = new AuditEstimate(CLASSES);
        audit.add(1, true, 0.05, null);
        audit.add(1, false, 0, 1);
        assertThat(audit.valid()).isTrue();
        audit.add(2, true, 0, null);
        assertThat(audit.valid()).isFalse();
        assertThat(audit.unauditable()).isEqualTo(1);
    }

    @Test
    void aRestoredEstimateGoesOnAsTheOriginal() {
        AuditEstimate original = new AuditEstimate(CLASSES);
        Random random = new Random(1);
        for (int i = 0; i < 500; i++) {
            int label = random.nextInt(CLASSES);
            original.add(label, i % 3 != 0, 0.1, random.nextDouble() < 0.1 ? random.nextInt(CLASSES) : null);
        }
        AuditEstimate restored = AuditEstimate.restore(CLASSES, original.state());
        original.add(3, true, 0.1, 4);
        restored.add(3, true, 0.1, 4);
        assertThat(restored.disagreement(2000L, Interval.Z95)).isEqualTo(original.disagreement(2000L, Interval.Z95));
        for (int k = 0; k < CLASSES; k++) {
            assertThat(restored.classCount(k, 2000L, Interval.Z95)).isEqualTo(original.classCount(k, 2000L, Interval.Z95));
        }
        assertThatThrownBy(() -> AuditEstimate.restore(CLASSES + 1, original.state()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another cascade");
    }

    /**
     * A synthetic stream whose early stage disagrees with the last stage far more often for one class
     * (the calibration tables, here uninformative, play no part): over 600 replays with fresh orders
     * and coins, the intervals cover the truth as often as they say.
     */
    @Test
    void intervalsCoverTheTruthOnASyntheticStream() {
        Random random = new Random(7);
        List<AuditCoverageCheck.Frame> frames = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            int last = random.nextInt(CLASSES);
            boolean early = random.nextDouble() < 0.7;
            double disagree = last == 1 ? 0.25 : 0.03;
            int answer = early && random.nextDouble() < disagree ? (last + 1 + random.nextInt(CLASSES - 1)) % CLASSES : last;
            frames.add(new AuditCoverageCheck.Frame(early ? 0 : 1, 0.9, answer, early, last, last));
        }
        int[][] confusion = new int[CLASSES][CLASSES];
        for (int k = 0; k < CLASSES; k++) {
            confusion[k][k] = 10;
        }
        StageCalibration tables = new StageCalibration(new ReliabilityTable(List.of(new ReliabilityTable.Bin(0, 1, 100, 90))), confusion);
        Map<Double, AuditCoverageCheck.Result> results = AuditCoverageCheck.run(frames, List.of(tables, tables), CLASSES, 0.1, 600,
                new double[] {0.2, 1.0}, 11);
        results.forEach((share, r) -> {
            assertThat(r.disagreementCoverage()).as("disagreement coverage at %.0f%%", 100 * share).isBetween(0.92, 0.98);
            assertThat(r.auditedClassCoverageMin()).as("worst class-count coverage at %.0f%%", 100 * share).isGreaterThanOrEqualTo(0.93);
        });
    }
}
