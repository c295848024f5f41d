package io.sieve.cascade.calibration;

import io.sieve.cascade.definition.ExitProfile;
import io.sieve.cascade.definition.ReliabilityTable;
import java.util.ArrayList;

import io.sieve.cascade.model.ConfidenceMeasure;
import io.sieve.cascade.model.ClassProbabilities;
import java.util.List;

/**
 * What every stage of a cascade says about every image of a labelled set: label, confidence and
 * whether it is right. Calibration searches thresholds over this table without running a model again.
 *
 * @param labels    [stage][image] predicted class
 * @param confidence [stage][image] confidence under the stage's measure, in [0, 1]
 * @param truth     [image] true class
 * @param costs     [stage] cost of running the stage on one image (milliseconds or MACs, as chosen)
 * @param handsOn   [stage] whether the stage hands outputs on to the next one, which continues it
 *                  (so it runs whenever that one does, even where it lets no frame exit)
 */
public record ScoreTable(int[][] labels, float[][] confidence, int[] truth, double[] costs, boolean[] handsOn) {
    public ScoreTable {
        if (labels.length < 2 || labels.length != confidence.length || labels.length != costs.length || labels.length != handsOn.length) {
            throw new IllegalArgumentException("a cascade needs at least 2 stages with labels, confidences, costs and hand-ons for each");
        }
        if (handsOn[labels.length - 1]) {
            throw new IllegalArgumentException("the last stage has no stage after it to hand outputs on to");
        }
        for (int s = 0; s < labels.length; s++) {
            if (labels[s].length != truth.length || confidence[s].length != truth.length) {
                throw new IllegalArgumentException("stage " + s + " scores " + labels[s].length + " images, the truth has " + truth.length);
            }
        }
    }

    /** A table of stages that each run on their own (none continues another). */
    public ScoreTable(int[][] labels, float[][] confidence, int[] truth, double[] costs) {
        this(labels, confidence, truth, costs, new boolean[labels.length]);
    }

    public static ScoreTable of(List<List<ClassProbabilities>> predictionsPerStage, List<ConfidenceMeasure> measures, int[] truth, double[] costs,
                                boolean[] handsOn) {
        int stages = predictionsPerStage.size();
        int[][] labels = new int[stages][truth.length];
        float[][] confidence = new float[stages][truth.length];
        for (int s = 0; s < stages; s++) {
            List<ClassProbabilities> predictions = predictionsPerStage.get(s);
            for (int i = 0; i < truth.length; i++) {
                labels[s][i] = predictions.get(i).label();
                confidence[s][i] = predictions.get(i).confidence(measures.get(s));
            }
        }
        return new ScoreTable(labels, confidence, truth, costs, handsOn);
    }

    /** The same table restricted to {@code rows} (image indices), in that order. */
    public ScoreTable rows(int[] rows) {
        int[][] l = new int[stages()][rows.length];
        float[][] conf = new float[stages()][rows.length];
        int[] t = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            t[i] = truth[rows[i]];
            for (int s = 0; s < stages(); s++) {
                l[s][i] = labels[s][rows[i]];
                conf[s][i] = confidence[s][rows[i]];
            }
        }
        return new ScoreTable(l, conf, t, costs, handsOn);
    }

    /** What the last stage alone costs per image: its own cost and that of every stage it continues, in a chain. */
    public double referenceCost() {
        int last = stages() - 1;
        double cost = costs[last];
        for (int s = last - 1; s >= 0 && handsOn[s]; s--) {
            cost += costs[s];
        }
        return cost;
    }

    public int stages() {
        return labels.length;
    }

    public int size() {
        return truth.length;
    }

    public boolean correct(int stage, int image) {
        return labels[stage][image] == truth[image];
    }

    /** Accuracy of one stage alone. */
    public double accuracy(int stage) {
        int correct = 0;
        for (int i = 0; i < truth.length; i++) {
            correct += correct(stage, i) ? 1 : 0;
        }
        return (double) correct / truth.length;
    }

    /** The stage at which each image exits under {@code thresholds}, the last stage deciding what no earlier one does. */
    public int[] exitStages(Thresholds thresholds) {
        int[] exits = new int[truth.length];
        int last = stages() - 1;
        for (int i = 0; i < truth.length; i++) {
            int s = 0;
            while (s < last && !thresholds.exits(s, labels[s][i], confidence[s][i])) {
                s++;
            }
            exits[i] = s;
        }
        return exits;
    }

    /** Counts [predicted][true] of the frames that exit at {@code stage} under {@code thresholds}. */
    public int[][] confusion(Thresholds thresholds, int stage, int classes) {
        int[][] counts = new int[classes][classes];
        int[] exits = exitStages(thresholds);
        for (int i = 0; i < truth.length; i++) {
            if (exits[i] == stage) {
                counts[labels[stage][i]][truth[i]]++;
            }
        }
        return counts;
    }

    /**
     * How stage {@code stage} (not the last) behaves under {@code thresholds}: the frames reaching
     * it, those it decides, and those it decides with another label than the last stage's.
     */
    public ExitProfile exitProfile(Thresholds thresholds, int stage) {
        if (stage >= stages() - 1) {
            throw new IllegalArgumentException("the last stage decides every frame it gets; it has no exit profile");
        }
        int[] exits = exitStages(thresholds);
        int last = stages() - 1;
        long reached = 0;
        long exited = 0;
        long disagreeing = 0;
        for (int i = 0; i < truth.length; i++) {
            if (exits[i] >= stage) {
                reached++;
            }
            if (exits[i] == stage) {
                exited++;
                disagreeing += labels[stage][i] != labels[last][i] ? 1 : 0;
            }
        }
        return new ExitProfile(reached, exited, disagreeing);
    }

    /** The cascade's result on this table under {@code thresholds}. */
    public Outcome evaluate(Thresholds thresholds) {
        int stages = stages();
        int last = stages - 1;
        int[] exitCounts = new int[stages];
        int correct = 0;
        int worse = 0;
        int better = 0;
        double cost = 0;
        int[] exits = exitStages(thresholds);
        // A stage that can never let a frame exit is skipped, not run for nothing, unless it hands on to one that runs.
        boolean[] runs = new boolean[stages];
        for (int k = last; k >= 0; k--) {
            runs[k] = k == last || thresholds.canExit(k) || handsOn[k] && runs[k + 1];
        }
        for (int i = 0; i < truth.length; i++) {
            int s = exits[i];
            exitCounts[s]++;
            for (int k = 0; k <= s; k++) {
                cost += runs[k] ? costs[k] : 0;
            }
            boolean right = correct(s, i);
            boolean lastRight = correct(last, i);
            correct += right ? 1 : 0;
            worse += lastRight && !right ? 1 : 0;
            better += right && !lastRight ? 1 : 0;
        }
        return new Outcome(thresholds, truth.length, correct, worse, better, exitCounts, cost / truth.length);
    }

    /** The reliability table of the frames that exit at {@code stage} under {@code thresholds}. */
    public ReliabilityTable reliability(Thresholds thresholds, int stage, int maxBins, int minFramesPerBin) {
        int[] exits = exitStages(thresholds);
        List<float[]> decided = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            if (exits[i] == stage) {
                decided.add(new float[] {confidence()[stage][i], correct(stage, i) ? 1 : 0});
            }
        }
        decided.sort((a, b) -> Float.compare(a[0], b[0]));
        int n = decided.size();
        int binCount = Math.max(1, Math.min(maxBins, n / Math.max(1, minFramesPerBin)));
        List<ReliabilityTable.Bin> bins = new ArrayList<>();
        int start = 0;
        for (int b = 0; b < binCount && start < n; b++) {
            int end = b == binCount - 1 ? n : (int) ((long) n * (b + 1) / binCount);
            // Ties stay in one bin so that the bin edges separate distinct confidences.
            while (end < n && end > start && decided.get(end)[0] == decided.get(end - 1)[0]) {
                end++;
            }
            int correct = 0;
            for (int i = start; i < end; i++) {
                correct += (int) decided.get(i)[1];
            }
            double low = b == 0 ? 0.0 : decided.get(start)[0];
            bins.add(new ReliabilityTable.Bin(low, 1.0, end - start, correct));
            start = end;
        }
        for (int b = 0; b + 1 < bins.size(); b++) {
            ReliabilityTable.Bin bin = bins.get(b);
            bins.set(b, new ReliabilityTable.Bin(bin.low(), bins.get(b + 1).low(), bin.frames(), bin.correct()));
        }
        return new ReliabilityTable(bins.isEmpty() ? List.of(new ReliabilityTable.Bin(0, 1, 0, 0)) : bins);
    }
}
