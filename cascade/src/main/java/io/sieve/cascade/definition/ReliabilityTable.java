package io.sieve.cascade.definition;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Arrays;
import java.util.List;

/**
 * How often a stage's decisions are right, by confidence: equal-count bins over the validation
 * frames that the calibrated cascade lets this stage decide. The online estimator looks up each
 * decision's bin to estimate the probability that it is correct. Built by calibration
 * ({@code ScoreTable.reliability}); kept in the cascade file.
 */
public record ReliabilityTable(@JsonProperty("bins") List<Bin> bins) {

    /** Frames with confidence in [low, high) (the last bin includes high), and how many were right. */
    public record Bin(@JsonProperty("low") double low, @JsonProperty("high") double high,
                      @JsonProperty("frames") int frames, @JsonProperty("correct") int correct) {
        public double accuracy() {
            return frames == 0 ? Double.NaN : (double) correct / frames;
        }
    }

    /** A table over bins in ascending order of confidence; the first starts at 0. */
    public ReliabilityTable {
        bins = List.copyOf(bins);
        if (bins.isEmpty()) {
            throw new IllegalArgumentException("a reliability table needs at least one bin");
        }
    }

    /** The bin a confidence falls in. */
    public Bin binOf(double confidence) {
        return bins.get(indexOf(confidence));
    }

    /** The index of the bin a confidence falls in (confidences below the first bin's edge fall in the first). */
    public int indexOf(double confidence) {
        for (int b = bins.size() - 1; b > 0; b--) {
            if (confidence >= bins.get(b).low()) {
                return b;
            }
        }
        return 0;
    }

    public int frames() {
        return bins.stream().mapToInt(Bin::frames).sum();
    }

    @Override
    public String toString() {
        return Arrays.toString(bins.toArray());
    }
}
