package io.sieve.cascade.runtime;

import io.sieve.images.Image;
import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.cascade.model.ModelCard;
import io.sieve.cascade.model.ModelException;
import io.sieve.cascade.model.OnnxClassifier;
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
            List<ModelCard> cards = new ArrayList<>();
            for (int s = 0; s < definition.stages().size(); s++) {
                cards.add(ModelCard.read(definition.cardPath(cascadeFile, s)));
            }
            ModelCard.requireSameClasses(cards);
            ModelCard.requireContinuationsFollow(cards);
            for (int s = 0; s < cards.size(); s++) {
                CascadeDefinition.StageDefinition d = definition.stages().get(s);
                boolean last = s == cards.size() - 1;
                stages.add(new CascadeStage(s, last, OnnxClassifier.load(cards.get(s), intraOpThreads, OnnxClassifier.DEFAULT_MAX_BATCH),
                        d.measure(), last ? null : d.threshold(), last ? null : d.classThresholds(), ModelCard.handedOn(cards, s)));
                if (s > 0) {
                    stages.get(s - 1).model().requireHandsOnTo(stages.get(s).model());
                }
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

    /**
     * Classifies a batch; result {@code i} lists the decisions of every stage frame {@code i} went
     * through, the last of them the one that let it exit.
     *
     * @throws ModelException if a stage's model fails on the batch
     */
    public List<List<StageDecision>> classify(List<Image> images) {
        CascadeRouter.FrameTask[] tasks = new CascadeRouter.FrameTask[images.size()];
        Arrays.fill(tasks, CascadeRouter.FrameTask.DECIDE);
        List<List<StageDecision>> trails = new ArrayList<>(images.size());
        for (CascadeRouter.FrameRoute route : route(images, tasks).frames()) {
            trails.add(route.trail());
        }
        return trails;
    }

    /**
     * Routes a batch as {@link #classify} does, each frame with its task: a frame asking for the
     * live audit is labelled by the last stage too when an earlier stage decides it.
     *
     * @throws ModelException if a stage's model fails on the batch
     */
    public CascadeRouter.Routing route(List<Image> images, CascadeRouter.FrameTask[] tasks) {
        int[] self = new int[images.size()];
        Arrays.setAll(self, i -> i);
        CascadeRouter.Routing routing = CascadeRouter.route(stages, images, self, tasks);
        routing.failure().ifPresent(failure -> {
            throw new ModelException("cascade " + name + ": " + failure.reason());
        });
        return routing;
    }

    @Override
    public void close() {
        stages.forEach(CascadeStage::close);
    }
}
