package io.sieve.cascade.calibration;

import io.sieve.cascade.definition.CascadeDefinition;
import java.util.Arrays;

/**
 * Exit thresholds for every stage but the last: a frame leaves stage {@code s} when its confidence
 * is at least {@code global[s]}, or, where per-class thresholds are set, at least the threshold of
 * the class the stage predicted. A threshold above 1 means the stage never lets a frame exit.
 */
public record Thresholds(double[] global, double[][] perClass) {
    public static final double NEVER = Double.POSITIVE_INFINITY;

    public static Thresholds of(double... global) {
        return new Thresholds(global, null);
    }

    /** The thresholds a cascade file states, for every stage before the last (a stage without one never exits). */
    public static Thresholds of(CascadeDefinition definition) {
        int early = definition.stages().size() - 1;
        double[] global = new double[early];
        double[][] perClass = null;
        for (int s = 0; s < early; s++) {
            CascadeDefinition.StageDefinition stage = definition.stages().get(s);
            global[s] = stage.threshold() == null ? NEVER : stage.threshold();
            if (stage.classThresholds() != null) {
                perClass = perClass == null ? new double[early][] : perClass;
                perClass[s] = stage.classThresholds().clone();
            }
        }
        return new Thresholds(global, perClass);
    }

    public boolean exits(int stage, int predictedClass, float confidence) {
        double t = perClass != null && perClass[stage] != null ? perClass[stage][predictedClass] : global[stage];
        return confidence >= t;
    }

    /** Whether any frame could exit at {@code stage}: some threshold is at most 1. */
    public boolean canExit(int stage) {
        if (perClass != null && perClass[stage] != null) {
            return Arrays.stream(perClass[stage]).anyMatch(t -> t <= 1);
        }
        return global[stage] <= 1;
    }

    public Thresholds withClassThreshold(int stage, int predictedClass, double value, int classes) {
        double[][] copy = new double[global.length][];
        for (int s = 0; s < global.length; s++) {
            if (perClass != null && perClass[s] != null) {
                copy[s] = perClass[s].clone();
            } else {
                copy[s] = new double[classes];
                Arrays.fill(copy[s], global[s]);
            }
        }
        copy[stage][predictedClass] = value;
        return new Thresholds(global, copy);
    }

    @Override
    public String toString() {
        return perClass == null ? Arrays.toString(global) : Arrays.toString(global) + " per class " + Arrays.deepToString(perClass);
    }
}
