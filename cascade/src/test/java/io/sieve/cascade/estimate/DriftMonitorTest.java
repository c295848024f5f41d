package io.sieve.cascade.estimate;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.cascade.definition.ExitProfile;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DriftMonitorTest {
    /** The default cascade's stage 0 on its calibration frames: 3,233 of 5,000 exit, 156 of those the last stage labels otherwise. */
    private static final List<ExitProfile> PROFILE = Arrays.asList(new ExitProfile(5000, 3233, 156), null);

    /** A stream whose frames exit and disagree at the given rates, audited at {@code auditRate}; returns the frame at the first alarm or -1. */
    private static long firstAlarm(double exitRate, double disagreement, double auditRate, int frames, long seed) {
        Random random = new Random(seed);
        DriftMonitor monitor = new DriftMonitor(PROFILE);
        for (int f = 1; f <= frames; f++) {
            boolean exits = random.nextDouble() < exitRate;
            monitor.reached(0, exits);
            if (exits && random.nextDouble() < auditRate) {
                monitor.audited(0, random.nextDouble() < disagreement);
            }
            if (f % 50 == 0 && monitor.check(false, f).stream().anyMatch(DriftMonitor.Check::alarm)) {
                return f;
            }
        }
        return -1;
    }

    @Test
    void aStreamLikeTheCalibrationFramesRaisesNoAlarmInAlmostEveryRun() {
        int alarms = 0;
        for (long seed = 0; seed < 400; seed++) {
            // Each run draws its own true rates from what calibration's counts allow, as a new stream from the same distribution would have.
            Random truth = new Random(1000 + seed);
            double exitRate = binomialShare(truth, 5000, 0.6466);
            double disagreement = binomialShare(truth, 3233, 0.0483);
            alarms += firstAlarm(exitRate, disagreement, 0.05, 10_000, seed) >= 0 ? 1 : 0;
        }
        // Promised at most 1%; 400 runs measure it to about +-1 point.
        assertThat(alarms).as("runs with a false alarm of 400").isLessThanOrEqualTo(8);
    }

    @Test
    void aShiftedExitRateOrDisagreementIsCaughtWithinAFewThousandFrames() {
        for (long seed = 0; seed < 20; seed++) {
            long exitShift = firstAlarm(0.45, 0.0483, 0.05, 10_000, seed);
            assertThat(exitShift).as("exit rate 45% instead of 65%").isBetween(1L, 1000L);
            long disagreementShift = firstAlarm(0.6466, 0.30, 0.05, 10_000, seed);
            assertThat(disagreementShift).as("disagreement 30% instead of 5%").isBetween(1L, 3000L);
        }
    }

    @Test
    void theAlarmNamesWhatDepartedAndStaysRaised() {
        DriftMonitor monitor = new DriftMonitor(PROFILE);
        for (int f = 0; f < 400; f++) {
            monitor.reached(0, f % 5 == 0);
        }
        assertThat(monitor.alarmRaised()).as("before any check").isFalse();
        List<DriftMonitor.Check> checks = monitor.check(false, 400);
        assertThat(monitor.alarmRaised()).isTrue();
        DriftMonitor.Check exit = checks.get(0);
        assertThat(exit.measure()).isEqualTo(DriftMonitor.Measure.EXIT_RATE);
        assertThat(exit.alarm()).isTrue();
        assertThat(exit.alarmSinceFrames()).isEqualTo(400);
        assertThat(exit.observed()).isEqualTo(0.2);
        assertThat(exit.expected()).isEqualTo(0.6466);
        assertThat(exit.expectedLow()).isLessThan(0.6466);
        assertThat(exit.expectedHigh()).isGreaterThan(0.6466);
        assertThat(exit.describe("cheap")).contains("stage 0 (cheap)", "exit rate 20.0%", "calibration 64.7%");
        assertThat(checks.get(1).alarm()).as("nothing audited, nothing to reject").isFalse();
        // Frames like calibration's afterwards do not take the alarm back.
        for (int f = 0; f < 20_000; f++) {
            monitor.reached(0, f % 100 < 65);
        }
        DriftMonitor.Check later = monitor.check(false, 20_400).get(0);
        assertThat(later.alarm()).isTrue();
        assertThat(later.alarmSinceFrames()).isEqualTo(400);
    }

    @Test
    void repeatedVideoFramesCountAsFewerIndependentOnes() {
        DriftMonitor independent = new DriftMonitor(PROFILE);
        DriftMonitor video = new DriftMonitor(PROFILE);
        Random random = new Random(7);
        boolean scene = false;
        for (int f = 0; f < 600; f++) {
            independent.reached(0, random.nextDouble() < 0.5);
            // A scene changes every 30 frames; all its frames exit or none.
            if (f % 30 == 0) {
                scene = random.nextDouble() < 0.5;
            }
            video.reached(0, scene);
        }
        DriftMonitor.Check iid = independent.check(true, 600).get(0);
        DriftMonitor.Check repeated = video.check(true, 600).get(0);
        assertThat(iid.effectiveFrames()).isGreaterThan(400);
        assertThat(repeated.effectiveFrames()).isLessThan(40);
        assertThat(independent.check(false, 600).get(0).effectiveFrames()).isEqualTo(600);
    }

    @Test
    void theEvidenceIsOneOrLessWhileTheStreamsShareIsInsideCalibrationsInterval() {
        assertThat(DriftMonitor.logEvidence(60, 100, 0.55, 0.70)).isLessThanOrEqualTo(0);
        assertThat(DriftMonitor.logEvidence(0, 0, 0.55, 0.70)).isZero();
        assertThat(DriftMonitor.logEvidence(10, 100, 0.55, 0.70)).isGreaterThan(Math.log(400));
    }

    @Test
    void stateRoundTripsAndACascadeWithoutProfilesCannotCheck() {
        DriftMonitor monitor = new DriftMonitor(PROFILE);
        for (int f = 0; f < 300; f++) {
            monitor.reached(0, f % 4 == 0);
            if (f % 10 == 0) {
                monitor.audited(0, f % 20 == 0);
            }
        }
        assertThat(monitor.check(true, 300)).anyMatch(DriftMonitor.Check::raisedNow);
        List<DriftMonitor.Check> before = monitor.check(true, 300);
        assertThat(before).noneMatch(DriftMonitor.Check::raisedNow).anyMatch(DriftMonitor.Check::alarm);
        DriftMonitor restored = DriftMonitor.restore(PROFILE, monitor.state());
        assertThat(restored.check(true, 300)).isEqualTo(before);
        assertThat(new DriftMonitor(Arrays.asList(null, null)).canCheck()).isFalse();
        assertThat(new DriftMonitor(Arrays.asList(null, null)).check(false, 10)).isEmpty();
    }

    private static double binomialShare(Random random, int n, double p) {
        int k = 0;
        for (int i = 0; i < n; i++) {
            k += random.nextDouble() < p ? 1 : 0;
        }
        return (double) k / n;
    }
}
