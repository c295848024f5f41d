package io.sieve.cascade.calibration;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How often a stage's decisions are right, by confidence: equal-count bins over the validation
 * frames that the calibrated cascade lets this stage decide. The online estimator looks up each
 * decision's bin to estimate the probability that it is correct.
 */
public record ReliabilityTable(@JsonProperty("bins") List<Bin> bins) {

    /** Frames with confidence in [low, high) (the last bin includes high), and how many were right. */
    public record Bin(@JsonProperty("low") double low, @JsonProperty("high") double high,
                      @JsonProperty("frames") int frames, @JsonProperty("correct") int correct) {
        public double accuracy() {
            return frames == 0 ? Double.NaN : (double) correct / frames;
        }
    }

    /** Builds the table for the frames that exit at {@code stage} under {@code thresholds}. */
    public static ReliabilityTable build(ScoreTable table, Thresholds thresholds, int stage, int maxBins, int minFramesPerBin) {
        int[] exits = table.exitStages(thresholds);
        List<float[]> decided = new ArrayList<>();
        for (int i = 0; i < table.size(); i++) {
            if (exits[i] == stage) {
                decided.add(new float[] {table.confidence()[stage][i], table.correct(stage, i) ? 1 : 0});
            }
        }
        decided.sort((a, b) -> Float.compare(a[0], b[0]));
        int n = decided.size();
        int binCount = Math.max(1, Math.min(maxBins, n / Math.max(1, minFramesPerBin)));
        List<Bin> bins = new ArrayList<>();
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
            bins.add(new Bin(low, 1.0, end - start, correct));
            start = end;
        }
        for (int b = 0; b + 1 < bins.size(); b++) {
            Bin bin = bins.get(b);
            bins.set(b, new Bin(bin.low(), bins.get(b + 1).low(), bin.frames(), bin.correct()));
        }
        return new ReliabilityTable(bins.isEmpty() ? List.of(new Bin(0, 1, 0, 0)) : bins);
    }

    /** The bin a confidence falls in. */
    public Bin binOf(double confidence) {
        for (int b = bins.size() - 1; b >= 0; b--) {
            if (confidence >= bins.get(b).low()) {
                return bins.get(b);
            }
        }
        return bins.get(0);
    }

    public int frames() {
        return bins.stream().mapToInt(Bin::frames).sum();
    }

    @Override
    public String toString() {
        return Arrays.toString(bins.toArray());
    }
}
