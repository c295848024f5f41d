package io.sieve.cascade.runtime;

import io.sieve.cascade.model.ConfidenceMeasure;
import io.sieve.images.Image;
import io.sieve.cascade.model.OnnxClassifier;
import io.sieve.cascade.model.ClassProbabilities;
import java.util.ArrayList;
import java.util.List;

/** One stage of a cascade: a model, its confidence measure and its exit rule. Closing it closes the model. */
public final class CascadeStage implements AutoCloseable {
    private final int index;
    private final boolean last;
    private final OnnxClassifier model;
    private final ConfidenceMeasure measure;
    private final double threshold;
    private final double[] classThresholds;

    public CascadeStage(int index, boolean last, OnnxClassifier model, ConfidenceMeasure measure, Double threshold, double[] classThresholds) {
        if (classThresholds != null && classThresholds.length != model.card().numClasses()) {
            throw new IllegalArgumentException("stage " + index + " (" + model.name() + ") has " + classThresholds.length
                    + " class thresholds for " + model.card().numClasses() + " classes");
        }
        this.index = index;
        this.last = last;
        this.model = model;
        this.measure = measure;
        this.threshold = threshold == null ? Double.POSITIVE_INFINITY : threshold;
        this.classThresholds = classThresholds;
    }

    public int index() {
        return index;
    }

    public boolean isLast() {
        return last;
    }

    public OnnxClassifier model() {
        return model;
    }

    public ConfidenceMeasure measure() {
        return measure;
    }

    /** Runs the model on a batch and applies the exit rule to every frame. */
    public List<StageDecision> apply(List<Image> images) {
        if (images.isEmpty()) {
            return List.of();
        }
        long started = System.nanoTime();
        List<ClassProbabilities> predictions = model.predict(images);
        long micros = (System.nanoTime() - started) / 1000 / images.size();
        List<StageDecision> decisions = new ArrayList<>(images.size());
        for (ClassProbabilities p : predictions) {
            float confidence = p.confidence(measure);
            decisions.add(new StageDecision(index, model.name(), p, confidence, exits(p.label(), confidence), micros));
        }
        return decisions;
    }

    /** False for a stage whose thresholds are all above 1: it would never decide a frame, so it is skipped. */
    public boolean canExit() {
        if (last) {
            return true;
        }
        return classThresholds != null ? java.util.Arrays.stream(classThresholds).anyMatch(t -> t <= 1) : threshold <= 1;
    }

    public boolean exits(int label, float confidence) {
        return last || confidence >= (classThresholds != null ? classThresholds[label] : threshold);
    }

    @Override
    public void close() {
        model.close();
    }
}
