package io.sieve.cascade.calibration;

import org.apache.commons.math3.distribution.NormalDistribution;
import java.util.Arrays;

/**
 * Chooses exit thresholds that minimise the expected cost per frame subject to a {@link Budget}
 * that must hold with a statistical margin: the constraint is checked on a one-sided confidence
 * bound of the validation estimate, not on the estimate itself, so that the budget holds on frames
 * the calibration never saw. All stages' thresholds are searched jointly over a grid of each
 * stage's confidence quantiles; optionally, per-class thresholds are then lowered greedily where
 * the bound still holds.
 */
public final class ThresholdSearch {
    /** Candidate combinations above which the joint grid is coarsened. */
    private static final int MAX_COMBINATIONS = 40_000;

    private final ScoreTable table;
    private final double z;

    /** @param confidenceLevel one-sided level of the bound, e.g. 0.95 */
    public ThresholdSearch(ScoreTable table, double confidenceLevel) {
        if (!(confidenceLevel >= 0.5 && confidenceLevel < 1)) {
            throw new CalibrationException("the confidence level must be in [0.5, 1), got " + confidenceLevel);
        }
        this.table = table;
        this.z = new NormalDistribution().inverseCumulativeProbability(confidenceLevel);
    }

    public double z() {
        return z;
    }

    /** Whether an outcome satisfies the budget at the search's confidence level. */
    public boolean feasible(Outcome outcome, Budget budget) {
        boolean allToLastStage = outcome.exits()[table.stages() - 1] == outcome.n();
        return switch (budget.kind()) {
            // The last stage alone is the reference itself: its loss is 0 by definition, not an estimate.
            case MAX_LOSS -> allToLastStage || outcome.lossUpperBound(z) <= budget.value();
            case MIN_ACCURACY -> outcome.accuracyLowerBound(z) >= budget.value();
        };
    }

    public Outcome search(Budget budget, int gridPerStage, boolean perClass) {
        int last = table.stages() - 1;
        if (budget.kind() == Budget.Kind.MIN_ACCURACY) {
            Outcome lastOnly = table.evaluate(Thresholds.of(never(last)));
            if (budget.value() > lastOnly.accuracy()) {
                throw new CalibrationException(String.format("target accuracy %.2f%% is above what the last stage reaches "
                        + "on the validation set (%.2f%%)", 100 * budget.value(), 100 * lastOnly.accuracy()));
            }
            if (!feasible(lastOnly, budget)) {
                throw new CalibrationException(String.format("target accuracy %.2f%% cannot be guaranteed: the last stage "
                        + "alone reaches %.2f%% on validation, with a lower confidence bound of %.2f%%",
                        100 * budget.value(), 100 * lastOnly.accuracy(), 100 * lastOnly.accuracyLowerBound(z)));
            }
        }
        double[][] grids = new double[last][];
        int perStage = gridPerStage;
        while (Math.pow(perStage + 1, last) > MAX_COMBINATIONS && perStage > 4) {
            perStage--;
        }
        for (int s = 0; s < last; s++) {
            grids[s] = candidates(table.confidence()[s], perStage);
        }
        Outcome best = table.evaluate(Thresholds.of(never(last)));
        int[] index = new int[last];
        do {
            double[] t = new double[last];
            for (int s = 0; s < last; s++) {
                t[s] = grids[s][index[s]];
            }
            Outcome o = table.evaluate(Thresholds.of(t));
            if (feasible(o, budget) && better(o, best)) {
                best = o;
            }
        } while (next(index, grids));
        return perClass ? refinePerClass(best, budget, grids) : best;
    }

    /** Greedily lowers single (stage, class) thresholds while the budget's bound still holds. */
    private Outcome refinePerClass(Outcome start, Budget budget, double[][] grids) {
        int classes = Arrays.stream(table.truth()).max().orElse(0) + 1;
        for (int[] labels : table.labels()) {
            classes = Math.max(classes, Arrays.stream(labels).max().orElse(0) + 1);
        }
        Outcome best = start;
        boolean improved = true;
        for (int pass = 0; pass < 3 && improved; pass++) {
            improved = false;
            for (int s = 0; s < grids.length; s++) {
                for (int k = 0; k < classes; k++) {
                    for (double candidate : grids[s]) {
                        Outcome o = table.evaluate(best.thresholds().withClassThreshold(s, k, candidate, classes));
                        if (feasible(o, budget) && better(o, best)) {
                            best = o;
                            improved = true;
                        }
                    }
                }
            }
        }
        return best;
    }

    private static boolean better(Outcome candidate, Outcome incumbent) {
        if (candidate.meanCost() != incumbent.meanCost()) {
            return candidate.meanCost() < incumbent.meanCost();
        }
        return candidate.correct() > incumbent.correct();
    }

    /** Quantiles of a stage's confidences as threshold candidates, plus "never exit". */
    static double[] candidates(float[] confidence, int count) {
        float[] sorted = confidence.clone();
        Arrays.sort(sorted);
        double[] grid = new double[count + 1];
        for (int j = 0; j < count; j++) {
            grid[j] = sorted[(int) Math.min(sorted.length - 1, Math.round((double) j * (sorted.length - 1) / Math.max(1, count - 1)))];
        }
        grid[count] = Thresholds.NEVER;
        return Arrays.stream(grid).distinct().toArray();
    }

    private static boolean next(int[] index, double[][] grids) {
        for (int s = 0; s < index.length; s++) {
            if (++index[s] < grids[s].length) {
                return true;
            }
            index[s] = 0;
        }
        return false;
    }

    private static double[] never(int stages) {
        double[] t = new double[stages];
        Arrays.fill(t, Thresholds.NEVER);
        return t;
    }
}
