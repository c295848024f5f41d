package io.sieve.cascade.estimate;

import io.sieve.cascade.calibration.ExactBounds;
import io.sieve.cascade.definition.ExitProfile;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.special.Beta;

/**
 * Watches whether a stream still behaves as the calibration frames did, stage by stage: the share
 * of the frames reaching a stage that it decides (its exit rate), and the share of its audited
 * decisions that the last stage labels otherwise (its disagreement). Both were measured on the
 * calibration frames ({@link ExitProfile}); when either departs from it, the tables behind the
 * estimates and the budget no longer describe this stream.
 *
 * <p>Each share is tested sequentially, so that it may be looked at after every frame: the test
 * statistic is the likelihood ratio of a uniform (Beta(1, 1)) mixture of Bernoulli rates against
 * the best rate calibration allows, a nonnegative martingale under the null, and by Ville's
 * inequality it ever reaches 1 / alpha with probability at most alpha (Robbins 1970; Howard et al.
 * 2021). Calibration's own rate is uncertain: the null allows every rate in its exact
 * (Clopper-Pearson) interval, which fails with probability at most alpha too. {@link #FALSE_ALARM_RATE}
 * is shared equally among both halves of every test, so a query on a stream drawn like the
 * calibration frames raises no alarm with probability at least 99%, however long it runs.
 *
 * <p>The martingale argument needs independent frames. A random replay has them (and the audit's
 * coins are independent of the frames in any case); consecutive video frames repeat each other, so
 * for a live stream the counts are divided by the design effect of their lag-1 autocorrelation
 * ({@link LagOneAutocorrelation}), an approximation that makes n similar frames count as the
 * fewer independent ones they are worth, and by the largest design effect (39) while it cannot be
 * estimated (fewer than 30 pairs, or a constant series: a camera whose frames all exit, or none).
 * An alarm, once raised, stays: the test has rejected.
 */
public final class DriftMonitor {
    /** The chance of any alarm on a stream like the calibration frames, over the whole query. */
    public static final double FALSE_ALARM_RATE = 0.01;

    public enum Measure {
        EXIT_RATE("exit rate"),
        DISAGREEMENT("disagreement with the last stage");

        private final String description;

        Measure(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /**
     * One test's standing: calibration's share with its interval, the stream's share over
     * {@code frames} (reaching the stage, or audited) and the frames they count as after the design
     * effect, the evidence against calibration (the smallest likelihood ratio over its interval)
     * and the level it must reach; {@code alarmSinceFrames} is the query's frames seen when the
     * alarm was raised, or -1; {@code raisedNow} whether this check raised it.
     */
    public record Check(int stage, Measure measure, double expected, double expectedLow, double expectedHigh, long frames,
                        double observed, double effectiveFrames, double evidence, double threshold, long alarmSinceFrames,
                        boolean raisedNow) {
        public boolean alarm() {
            return alarmSinceFrames >= 0;
        }

        /** The warning in words, with the figures. */
        public String describe(String model) {
            return String.format("stage %d (%s): %s %.1f%% over %,d frames, calibration %.1f%% [%.1f, %.1f]", stage, model,
                    measure.description(), 100 * observed, frames, 100 * expected, 100 * expectedLow, 100 * expectedHigh);
        }
    }

    /** The stored counts of one stage: indicator series for exits (frames reaching it) and for disagreement (its audited frames). */
    public record StageState(long reached, long exited, LagOneAutocorrelation.State exitSeries, long audited, long disagreed,
                             LagOneAutocorrelation.State disagreementSeries, long exitAlarmSince, long disagreementAlarmSince) {
        static StageState empty() {
            return new StageState(0, 0, LagOneAutocorrelation.State.EMPTY, 0, 0, LagOneAutocorrelation.State.EMPTY, -1, -1);
        }
    }

    private final List<ExitProfile> profiles;
    private final long[] reached;
    private final long[] exited;
    private final LagOneAutocorrelation[] exitSeries;
    private final long[] audited;
    private final long[] disagreed;
    private final LagOneAutocorrelation[] disagreementSeries;
    private final long[][] alarmSince;
    /** Each test's share of the false-alarm budget, for calibration's interval and for the stream's test alike. */
    private final double alpha;
    /** [stage][measure] calibration's share and its exact interval; null for a stage without a profile. */
    private final Expectation[][] expectations;

    /** What calibration measured for one test: the share and its exact (Clopper-Pearson) interval at 1 - alpha. */
    private record Expectation(double share, double low, double high) {
        static Expectation of(long events, long trials, double alpha) {
            return trials == 0 ? new Expectation(Double.NaN, 0, 1)
                    : new Expectation((double) events / trials, ExactBounds.lower((int) events, (int) trials, alpha / 2),
                            ExactBounds.upper((int) events, (int) trials, alpha / 2));
        }
    }

    /** A monitor for a cascade whose stage {@code s} has {@code profiles.get(s)} (null for the last stage or a stage without one). */
    public DriftMonitor(List<ExitProfile> profiles) {
        this(profiles, profiles.stream().map(p -> StageState.empty()).toList());
    }

    private DriftMonitor(List<ExitProfile> profiles, List<StageState> states) {
        int stages = profiles.size();
        if (states.size() != stages) {
            throw new IllegalArgumentException("the stored drift counts cover " + states.size() + " stages, the cascade has " + stages);
        }
        this.profiles = new ArrayList<>(profiles);
        reached = new long[stages];
        exited = new long[stages];
        exitSeries = new LagOneAutocorrelation[stages];
        audited = new long[stages];
        disagreed = new long[stages];
        disagreementSeries = new LagOneAutocorrelation[stages];
        alarmSince = new long[stages][Measure.values().length];
        int tests = 2 * (int) profiles.stream().filter(p -> p != null).count();
        alpha = tests == 0 ? FALSE_ALARM_RATE : FALSE_ALARM_RATE / tests / 2;
        expectations = new Expectation[stages][];
        for (int s = 0; s < stages; s++) {
            ExitProfile profile = profiles.get(s);
            if (profile != null) {
                expectations[s] = new Expectation[] {Expectation.of(profile.exited(), profile.reached(), alpha),
                        Expectation.of(profile.exitedDisagreeing(), profile.exited(), alpha)};
            }
            StageState state = states.get(s);
            reached[s] = state.reached();
            exited[s] = state.exited();
            exitSeries[s] = new LagOneAutocorrelation(state.exitSeries());
            audited[s] = state.audited();
            disagreed[s] = state.disagreed();
            disagreementSeries[s] = new LagOneAutocorrelation(state.disagreementSeries());
            alarmSince[s][Measure.EXIT_RATE.ordinal()] = state.exitAlarmSince();
            alarmSince[s][Measure.DISAGREEMENT.ordinal()] = state.disagreementAlarmSince();
        }
    }

    public static DriftMonitor restore(List<ExitProfile> profiles, List<StageState> states) {
        return new DriftMonitor(profiles, states);
    }

    public List<StageState> state() {
        List<StageState> out = new ArrayList<>();
        for (int s = 0; s < profiles.size(); s++) {
            out.add(new StageState(reached[s], exited[s], exitSeries[s].state(), audited[s], disagreed[s], disagreementSeries[s].state(),
                    alarmSince[s][Measure.EXIT_RATE.ordinal()], alarmSince[s][Measure.DISAGREEMENT.ordinal()]));
        }
        return out;
    }

    /** Whether a check has raised an alarm (alarms stay raised): the calibration tables do not describe this stream. */
    public boolean alarmRaised() {
        for (long[] stage : alarmSince) {
            for (long since : stage) {
                if (since >= 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether any stage has a profile to test against. */
    public boolean canCheck() {
        return profiles.stream().anyMatch(p -> p != null);
    }

    /** A frame reached stage {@code stage} and was, or was not, decided there. */
    public void reached(int stage, boolean exitedHere) {
        if (profiled(stage)) {
            reached[stage]++;
            exited[stage] += exitedHere ? 1 : 0;
            exitSeries[stage].observe(exitedHere ? 1 : 0);
        }
    }

    /** A frame decided at {@code stage} was audited, and the last stage agreed with it or not. */
    public void audited(int stage, boolean disagreedHere) {
        if (profiled(stage)) {
            audited[stage]++;
            disagreed[stage] += disagreedHere ? 1 : 0;
            disagreementSeries[stage].observe(disagreedHere ? 1 : 0);
        }
    }

    private boolean profiled(int stage) {
        return stage >= 0 && stage < profiles.size() && profiles.get(stage) != null;
    }

    /**
     * Every test as it stands, raising (for good) the alarm of any that rejects now.
     *
     * @param autocorrelated whether consecutive frames may repeat each other (a live stream), so that
     *                       the counts are deflated by their design effect
     * @param framesSeen     the query's frames so far, recorded with a newly raised alarm
     */
    public List<Check> check(boolean autocorrelated, long framesSeen) {
        List<Check> checks = new ArrayList<>();
        for (int s = 0; s < profiles.size(); s++) {
            if (profiles.get(s) == null) {
                continue;
            }
            checks.add(test(s, Measure.EXIT_RATE, exited[s], reached[s], autocorrelated ? exitSeries[s].cautiousDesignEffect() : 1,
                    framesSeen));
            checks.add(test(s, Measure.DISAGREEMENT, disagreed[s], audited[s],
                    autocorrelated ? disagreementSeries[s].cautiousDesignEffect() : 1, framesSeen));
        }
        return checks;
    }

    private Check test(int stage, Measure measure, long events, long trials, double designEffect, long framesSeen) {
        int m = measure.ordinal();
        Expectation calibration = expectations[stage][m];
        double n = trials / designEffect;
        double k = events / designEffect;
        double evidence = Math.exp(logEvidence(k, n, calibration.low(), calibration.high()));
        double threshold = 1 / alpha;
        boolean raisedNow = alarmSince[stage][m] < 0 && evidence >= threshold;
        if (raisedNow) {
            alarmSince[stage][m] = framesSeen;
        }
        return new Check(stage, measure, calibration.share(), calibration.low(), calibration.high(), trials,
                trials == 0 ? Double.NaN : (double) events / trials, n, evidence, threshold, alarmSince[stage][m], raisedNow);
    }

    /**
     * log of the smallest likelihood ratio, over null rates p in [low, high], of a uniform mixture
     * of Bernoulli rates against rate p, after k events in n trials (both may be fractional after a
     * design effect): the mixture's marginal likelihood is B(k + 1, n - k + 1), and the best null
     * rate is k / n clamped into the interval.
     */
    static double logEvidence(double k, double n, double low, double high) {
        if (n <= 0) {
            return 0;
        }
        double p = Math.min(high, Math.max(low, k / n));
        double logMixture = Beta.logBeta(k + 1, n - k + 1);
        return logMixture - (logPower(p, k) + logPower(1 - p, n - k));
    }

    /** {@code x * log(base)}, with 0 log 0 = 0. */
    private static double logPower(double base, double x) {
        return x == 0 ? 0 : x * Math.log(base);
    }
}
