package io.sieve.cascade.calibration;

import org.apache.commons.math3.distribution.NormalDistribution;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Chooses exit thresholds that minimise the expected cost per frame subject to a {@link Budget}
 * that must hold with a statistical margin, so that it holds on frames the calibration never saw.
 *
 * <p>{@link Guarantee#SEARCH_WIDE} (the default) makes the margin cover the search itself, as
 * "Learn then Test" does: every candidate is a hypothesis "this candidate breaks the budget",
 * rejected only by an exact binomial bound. For a two-stage cascade the candidates are a fixed path
 * of thresholds, fixed before any data is seen ({@link #PATH}), tested in order from the most
 * cautious, each at the full level, stopping at the first that is not rejected (fixed-sequence
 * testing controls the chance of any false rejection at the level). With more stages no single path
 * is right before the data is seen, so the search does Pareto testing (Laufer-Goldshtein et al.,
 * 2023): a fixed, seeded share of the frames ({@link #ORDERING_SHARE}) orders a grid of candidates
 * along their estimated cost-risk Pareto front, and the other frames, which the ordering never
 * saw, test them in that order at the full level, as on a path. (A union bound over the grid would
 * test every candidate at level / 2,000 on all frames, which costs more margin than the split.)
 * The cheapest rejected candidate is chosen.
 *
 * <p>{@link Guarantee#PER_CANDIDATE} searches every stage's confidence quantiles jointly with a
 * normal-approximation bound per candidate, and may then lower per-class thresholds greedily.
 */
public final class ThresholdSearch {
    /** Candidate combinations above which the joint grid is coarsened. */
    private static final int MAX_COMBINATIONS = 40_000;
    /** Candidates Pareto testing orders: about 100 thresholds per stage for three stages. */
    private static final int MAX_ORDERED = 10_000;
    /** Share of the frames that orders the candidates of a cascade of three or more stages; the rest test them. */
    static final double ORDERING_SHARE = 0.2;
    /** Fixed before any data is seen, so which frames order and which test is independent of them. */
    private static final long SPLIT_SEED = 20_190_715L;
    /** Points of the fixed threshold path: 1 - (j / PATH_POINTS)^2, dense near confidence 1 where most frames are. */
    static final int PATH_POINTS = 400;

    private final ScoreTable table;
    private final double z;
    private final double delta;
    private final Guarantee guarantee;
    /** The frames whose bounds certified the last search-wide search's candidates: all of them, or the testing split. */
    private ScoreTable testedOn;

    /** A per-candidate search. @param confidenceLevel one-sided level of the bound, e.g. 0.95 */
    public ThresholdSearch(ScoreTable table, double confidenceLevel) {
        this(table, confidenceLevel, Guarantee.PER_CANDIDATE);
    }

    public ThresholdSearch(ScoreTable table, double confidenceLevel, Guarantee guarantee) {
        if (!(confidenceLevel >= 0.5 && confidenceLevel < 1)) {
            throw new CalibrationException("the confidence level must be in [0.5, 1), got " + confidenceLevel);
        }
        this.table = table;
        this.z = new NormalDistribution().inverseCumulativeProbability(confidenceLevel);
        this.delta = 1 - confidenceLevel;
        this.guarantee = guarantee;
        this.testedOn = table;
    }

    public double z() {
        return z;
    }

    public Guarantee guarantee() {
        return guarantee;
    }

    /** The level each candidate of a search-wide search is tested at: the full 1 - confidence (fixed-sequence testing). */
    public double testLevel() {
        return delta;
    }

    /** How many frames the last search-wide search's bounds rest on: all, or the testing split of Pareto testing. */
    public int testingFrames() {
        return testedOn.size();
    }

    /** How many of {@code frames} calibration frames the bounds of a search rest on: all, or the testing split of Pareto testing. */
    public static int testingFrames(int frames, int stages, Guarantee guarantee) {
        return guarantee == Guarantee.SEARCH_WIDE && stages >= 3 ? frames - (int) Math.round(ORDERING_SHARE * frames) : frames;
    }

    /** Whether the last search-wide search ordered its candidates on a split of the frames (three or more stages). */
    public boolean usedParetoTesting() {
        return testedOn != table;
    }

    /** Whether an outcome satisfies the budget at the level the search tests candidates at. */
    public boolean feasible(Outcome outcome, Budget budget) {
        return guarantee == Guarantee.SEARCH_WIDE ? certified(outcome, budget, delta) : withinNormalBound(outcome, budget);
    }

    private boolean withinNormalBound(Outcome outcome, Budget budget) {
        return switch (budget.kind()) {
            // The last stage alone is the reference itself: its loss is 0 by definition, not an estimate.
            case MAX_LOSS -> allToLastStage(outcome) || outcome.lossUpperBound(z) <= budget.value();
            case MIN_ACCURACY -> outcome.accuracyLowerBound(z) >= budget.value();
        };
    }

    /** Whether the exact bounds at level {@code alpha} reject "this outcome's thresholds break the budget". */
    private boolean certified(Outcome outcome, Budget budget, double alpha) {
        return switch (budget.kind()) {
            case MAX_LOSS -> allToLastStage(outcome) || outcome.exactLossUpperBound(alpha) <= budget.value();
            case MIN_ACCURACY -> outcome.exactAccuracyLowerBound(alpha) >= budget.value();
        };
    }

    private boolean allToLastStage(Outcome outcome) {
        return outcome.exits()[table.stages() - 1] == outcome.n();
    }

    /** The upper bound on the chosen outcome's loss that the guarantee rests on, from the frames that tested it. */
    public double lossBound(Outcome outcome) {
        if (guarantee != Guarantee.SEARCH_WIDE) {
            return outcome.lossUpperBound(z);
        }
        return allToLastStage(outcome) ? 0 : testedOn.evaluate(outcome.thresholds()).exactLossUpperBound(delta);
    }

    /** The lower bound on the chosen outcome's accuracy at the level candidates were tested at, from the frames that tested it. */
    public double accuracyBound(Outcome outcome) {
        return guarantee == Guarantee.SEARCH_WIDE ? testedOn.evaluate(outcome.thresholds()).exactAccuracyLowerBound(delta)
                : outcome.accuracyLowerBound(z);
    }

    public Outcome search(Budget budget, int gridPerStage, boolean perClass) {
        if (guarantee == Guarantee.SEARCH_WIDE) {
            if (perClass) {
                throw new CalibrationException("per-class thresholds are lowered by a greedy, data-driven search that no search-wide "
                        + "guarantee covers; calibrate them with the per-candidate guarantee (--guarantee PER_CANDIDATE) or drop --per-class");
            }
            return table.stages() == 2 ? fixedSequence(budget) : paretoTesting(budget);
        }
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
        Outcome best = cheapestOnGrid(grids, table.evaluate(Thresholds.of(never(last))), o -> withinNormalBound(o, budget));
        return perClass ? refinePerClass(best, budget, grids) : best;
    }

    /** The fixed path of thresholds, most cautious first: 1 - (j / points)^2 for j = 0 .. points. */
    static double[] path(int points) {
        double[] path = new double[points + 1];
        for (int j = 0; j <= points; j++) {
            double u = (double) j / points;
            path[j] = 1 - u * u;
        }
        return path;
    }

    private Outcome fixedSequence(Budget budget) {
        testedOn = table;
        List<Thresholds> order = Arrays.stream(path(PATH_POINTS)).mapToObj(Thresholds::of).toList();
        return testInOrder(order, budget);
    }

    private Outcome paretoTesting(Budget budget) {
        int[] shuffled = shuffledRows(table.size());
        int orderingFrames = table.size() - testingFrames(table.size(), table.stages(), guarantee);
        ScoreTable ordering = table.rows(Arrays.copyOfRange(shuffled, 0, orderingFrames));
        testedOn = table.rows(Arrays.copyOfRange(shuffled, orderingFrames, shuffled.length));
        return testInOrder(paretoOrder(ordering, budget), budget);
    }

    /**
     * Tests {@code order} on {@link #testedOn} from the first, each at the full level, stopping at the
     * first that fails; returns the cheapest that passed (costs are counted on every frame).
     */
    private Outcome testInOrder(List<Thresholds> order, Budget budget) {
        Outcome best = lastStageOnly(budget);
        for (Thresholds t : order) {
            if (!certified(testedOn.evaluate(t), budget, delta)) {
                break;
            }
            Outcome o = table.evaluate(t);
            if (better(o, best)) {
                best = o;
            }
        }
        return best;
    }

    /**
     * The grid's candidates on the estimated Pareto front of the ordering frames (no other candidate
     * is both cheaper there and has a lower bound on its risk), safest first.
     */
    private List<Thresholds> paretoOrder(ScoreTable ordering, Budget budget) {
        int last = table.stages() - 1;
        int points = PATH_POINTS;
        while (Math.pow(points + 2, last) > MAX_ORDERED && points > 2) {
            points--;
        }
        double[] stageGrid = java.util.stream.DoubleStream.concat(Arrays.stream(path(points)),
                java.util.stream.DoubleStream.of(Thresholds.NEVER)).toArray();
        double[][] grids = new double[last][];
        Arrays.fill(grids, stageGrid);
        List<Scored> scored = new ArrayList<>();
        forEachOnGrid(grids, t -> {
            Outcome o = ordering.evaluate(t);
            scored.add(new Scored(t, risk(o, budget), o.meanCost()));
        });
        scored.sort(Comparator.comparingDouble(Scored::risk).thenComparingDouble(Scored::cost));
        List<Thresholds> front = new ArrayList<>();
        double cheapestSoFar = Double.POSITIVE_INFINITY;
        for (Scored candidate : scored) {
            if (candidate.cost() < cheapestSoFar) {
                cheapestSoFar = candidate.cost();
                front.add(candidate.thresholds());
            }
        }
        return front;
    }

    /** A candidate as the ordering frames see it. */
    private record Scored(Thresholds thresholds, double risk, double cost) {
    }

    /** How far a candidate is from breaking the budget on the ordering frames: lower is safer. */
    private double risk(Outcome o, Budget budget) {
        return switch (budget.kind()) {
            case MAX_LOSS -> allToLastStage(o) ? 0 : o.exactLossUpperBound(delta);
            case MIN_ACCURACY -> -o.exactAccuracyLowerBound(delta);
        };
    }

    private static int[] shuffledRows(int n) {
        int[] rows = java.util.stream.IntStream.range(0, n).toArray();
        java.util.Random random = new java.util.Random(SPLIT_SEED);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = rows[i];
            rows[i] = rows[j];
            rows[j] = swap;
        }
        return rows;
    }

    /** The cheapest outcome that {@code passes} among every combination of the stages' grids, or {@code start}. */
    private Outcome cheapestOnGrid(double[][] grids, Outcome start, java.util.function.Predicate<Outcome> passes) {
        Outcome[] best = {start};
        forEachOnGrid(grids, t -> {
            Outcome o = table.evaluate(t);
            if (passes.test(o) && better(o, best[0])) {
                best[0] = o;
            }
        });
        return best[0];
    }

    private static void forEachOnGrid(double[][] grids, java.util.function.Consumer<Thresholds> action) {
        int[] index = new int[grids.length];
        do {
            double[] t = new double[grids.length];
            for (int s = 0; s < grids.length; s++) {
                t[s] = grids[s][index[s]];
            }
            action.accept(Thresholds.of(t));
        } while (next(index, grids));
    }

    /** The first hypothesis of either procedure: the last stage alone, which a minimum-accuracy budget must already pass. */
    private Outcome lastStageOnly(Budget budget) {
        Thresholds lastOnly = Thresholds.of(never(table.stages() - 1));
        Outcome tested = testedOn.evaluate(lastOnly);
        if (!certified(tested, budget, delta)) {
            throw new CalibrationException(String.format("target accuracy %.2f%% cannot be guaranteed: the last stage alone reaches "
                    + "%.2f%% on the %,d frames that test it, with an exact lower bound of %.2f%%", 100 * budget.value(),
                    100 * tested.accuracy(), tested.n(), 100 * tested.exactAccuracyLowerBound(delta)));
        }
        return table.evaluate(lastOnly);
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
