package io.sieve.cascade.runtime;

import io.sieve.cascade.model.Image;
import io.sieve.cascade.model.ModelStage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A cascade run in-process: every frame goes to stage 0; those it is not confident about go on
 * to stage 1, and so on; the last stage decides the rest. Each stage sees its frames as one batch.
 */
public final class Cascade implements AutoCloseable {
    private final String name;
    private final List<CascadeStage> stages;
    private final CascadeDefinition definition;

    public Cascade(String name, List<CascadeStage> stages, CascadeDefinition definition) {
        this.name = name;
        this.stages = List.copyOf(stages);
        this.definition = definition;
    }

    /** Loads every stage's model from a cascade file. */
    public static Cascade load(Path cascadeFile, int intraOpThreads) {
        CascadeDefinition definition = CascadeDefinition.read(cascadeFile);
        List<CascadeStage> stages = new ArrayList<>();
        try {
            for (int s = 0; s < definition.stages().size(); s++) {
                CascadeDefinition.StageDefinition d = definition.stages().get(s);
                boolean last = s == definition.stages().size() - 1;
                stages.add(new CascadeStage(s, last, ModelStage.load(definition.cardPath(cascadeFile, s), intraOpThreads),
                        d.measure(), last ? null : d.threshold(), last ? null : d.classThresholds()));
            }
        } catch (RuntimeException e) {
            stages.forEach(CascadeStage::close);
            throw e;
        }
        return new Cascade(definition.name(), stages, definition);
    }

    public String name() {
        return name;
    }

    public List<CascadeStage> stages() {
        return stages;
    }

    /** The cascade file this cascade was loaded from (thresholds, costs, calibration tables). */
    public CascadeDefinition definition() {
        return definition;
    }

    /** The online estimator's calibration of every stage, or an empty list if the cascade file has none. */
    public List<io.sieve.cascade.estimate.StageCalibration> calibration() {
        List<io.sieve.cascade.estimate.StageCalibration> out = new ArrayList<>();
        for (CascadeDefinition.StageDefinition stage : definition.stages()) {
            if (stage.reliability() == null || stage.confusion() == null) {
                return List.of();
            }
            out.add(new io.sieve.cascade.estimate.StageCalibration(stage.reliability(), stage.confusion()));
        }
        return out;
    }

    /** Classifies a batch; result {@code i} lists the decisions of every stage frame {@code i} went through. */
    public List<List<StageDecision>> classify(List<Image> images) {
        List<List<StageDecision>> trails = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            trails.add(new ArrayList<>(stages.size()));
        }
        int[] active = new int[images.size()];
        Arrays.setAll(active, i -> i);
        int activeCount = images.size();
        for (CascadeStage stage : stages) {
            if (activeCount == 0) {
                break;
            }
            if (!stage.canExit()) {
                continue;
            }
            List<Image> batch = new ArrayList<>(activeCount);
            for (int a = 0; a < activeCount; a++) {
                batch.add(images.get(active[a]));
            }
            List<StageDecision> decisions = stage.apply(batch);
            int remaining = 0;
            for (int a = 0; a < activeCount; a++) {
                StageDecision d = decisions.get(a);
                trails.get(active[a]).add(d);
                if (!d.exits()) {
                    active[remaining++] = active[a];
                }
            }
            activeCount = remaining;
        }
        return trails;
    }

    @Override
    public void close() {
        stages.forEach(CascadeStage::close);
    }
}
