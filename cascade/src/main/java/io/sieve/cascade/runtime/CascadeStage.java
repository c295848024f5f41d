package io.sieve.cascade.runtime;

import io.sieve.cascade.model.ConfidenceMeasure;
import io.sieve.images.Image;
import io.sieve.cascade.model.OnnxClassifier;
import io.sieve.cascade.model.ClassProbabilities;
import io.sieve.cascade.model.CarriedTensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** One stage of a cascade: a model, its confidence measure and its exit rule. Closing it closes the model. */
public final class CascadeStage implements AutoCloseable {
    private final int index;
    private final boolean last;
    private final OnnxClassifier model;
    private final ConfidenceMeasure measure;
    private final double threshold;
    private final double[] classThresholds;
    private final Set<String> handOn;

    /** What a batch through the stage gave: a decision per frame, and what it hands on to the stage that continues it. */
    public record Applied(List<StageDecision> decisions, CarriedTensors handedOn) {
    }

    public CascadeStage(int index, boolean last, OnnxClassifier model, ConfidenceMeasure measure, Double threshold, double[] classThresholds) {
        this(index, last, model, measure, threshold, classThresholds, Set.of());
    }

    /** A stage whose model hands the outputs {@code handOn} on to the next stage's model, which continues it. */
    public CascadeStage(int index, boolean last, OnnxClassifier model, ConfidenceMeasure measure, Double threshold, double[] classThresholds,
                        Set<String> handOn) {
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
        this.handOn = Set.copyOf(handOn);
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

    /** Whether this stage's model finishes the work of the stage before it, which hands it outputs. */
    public boolean continuesPrevious() {
        return model.card().continues() != null;
    }

    /** Whether this stage hands outputs on to the next stage, which continues it. */
    public boolean handsOn() {
        return !handOn.isEmpty();
    }

    /** The outputs this stage hands on to the next stage (none if that one does not continue it). */
    public Set<String> handedOn() {
        return handOn;
    }

    /** Runs the model on a batch and applies the exit rule to every frame (for a stage that continues no other). */
    public List<StageDecision> apply(List<Image> images) {
        return apply(images, CarriedTensors.NONE).decisions();
    }

    /** Runs the model on a batch, given what the stage before handed on for these frames, and applies the exit rule to every frame. */
    public Applied apply(List<Image> images, CarriedTensors carried) {
        if (images.isEmpty()) {
            return new Applied(List.of(), CarriedTensors.NONE);
        }
        long started = System.nanoTime();
        OnnxClassifier.Scored scored = model.run(images, carried, handOn);
        long micros = (System.nanoTime() - started) / 1000 / images.size();
        List<StageDecision> decisions = new ArrayList<>(images.size());
        for (ClassProbabilities p : scored.predictions()) {
            float confidence = p.confidence(measure);
            decisions.add(new StageDecision(index, model.name(), p, confidence, exits(p.label(), confidence), micros));
        }
        return new Applied(decisions, scored.handedOn());
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
