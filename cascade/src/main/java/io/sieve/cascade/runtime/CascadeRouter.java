package io.sieve.cascade.runtime;

import io.sieve.cascade.model.ModelException;
import io.sieve.images.Image;
import io.sieve.images.ResizeTarget;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The cascade's routing rule, in one place for every caller (the in-process {@link Cascade},
 * calibration's cost model, the stream app's fused stages): the frames still undecided go to the
 * next stage as one batch; a stage whose thresholds let no frame exit is skipped (running it would
 * cost model time and decide nothing); the last stage decides what is left.
 *
 * <p>A frame may follow another frame of the batch (the difference filter found it nearly equal):
 * a follower never runs a model; it takes its reference's decision at whichever stage that is made.
 */
public final class CascadeRouter {
    private CascadeRouter() {
    }

    /**
     * What became of one frame: the decisions of the stages it ran through itself (in order), the
     * decision that let it exit (its own, or its reference's when {@code followed}; null while
     * undecided or after a failure), and the failure that stopped it, if any.
     */
    public record FrameRoute(List<StageDecision> trail, StageDecision decision, boolean followed, StageFailure failure) {
        public boolean decided() {
            return decision != null;
        }

        public boolean failed() {
            return failure != null;
        }
    }

    /** A stage's model failed on the batch it was given: every frame pending there stops with this reason. */
    public record StageFailure(CascadeStage stage, String reason) {
    }

    /** One stage's work on one batch: frames it ran the model on, how many of them exited, followers it decided, model time. */
    public record StageRun(CascadeStage stage, int frames, int exited, int followersDecided, long microsPerFrame) {
    }

    /**
     * Every frame's route, in the order given, the work of each stage that ran, and the failure that
     * stopped the batch, if a model failed (then every frame not decided before it carries it).
     */
    public record Routing(List<FrameRoute> frames, List<StageRun> runs, Optional<StageFailure> failure) {
    }

    /** Routes a batch with no followers. */
    public static Routing route(List<CascadeStage> stages, List<Image> images) {
        int[] self = new int[images.size()];
        Arrays.setAll(self, i -> i);
        return route(stages, images, self);
    }

    /**
     * Routes {@code images} through consecutive {@code stages} (cheapest first; the last may or may
     * not be the cascade's last stage).
     *
     * @param references {@code references[i]} is the frame whose decision frame {@code i} takes: {@code i}
     *                   itself, or a frame that is its own reference
     */
    public static Routing route(List<CascadeStage> stages, List<Image> images, int[] references) {
        int n = images.size();
        if (references.length != n) {
            throw new IllegalArgumentException(references.length + " references for " + n + " frames");
        }
        for (int i = 0; i < n; i++) {
            int r = references[i];
            if (r < 0 || r >= n || references[r] != r) {
                throw new IllegalArgumentException("frame " + i + " follows frame " + r + ", which is not a reference of this batch");
            }
        }
        List<List<StageDecision>> trails = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            trails.add(new ArrayList<>(stages.size()));
        }
        StageDecision[] decisions = new StageDecision[n];
        // Fused stages with the same input size share one resized copy of each frame.
        Map<ResizeTarget, Image[]> resized = new HashMap<>();
        StageFailure failure = null;
        List<StageRun> runs = new ArrayList<>();
        for (CascadeStage stage : stages) {
            if (!stage.canExit()) {
                continue;
            }
            List<Integer> active = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (references[i] == i && decisions[i] == null) {
                    active.add(i);
                }
            }
            if (active.isEmpty()) {
                break;
            }
            List<StageDecision> made;
            try {
                ResizeTarget target = stage.model().inputTarget();
                Image[] atSize = resized.computeIfAbsent(target, t -> new Image[n]);
                List<Image> batch = new ArrayList<>(active.size());
                for (int i : active) {
                    if (atSize[i] == null) {
                        atSize[i] = target.apply(images.get(i));
                    }
                    batch.add(atSize[i]);
                }
                made = stage.apply(batch);
            } catch (ModelException | IllegalArgumentException e) {
                // Every frame still undecided stops here (followers are undecided exactly while their reference is).
                failure = new StageFailure(stage, "model " + stage.model().name() + " failed: " + e.getMessage());
                break;
            }
            int exited = 0;
            for (int a = 0; a < active.size(); a++) {
                int i = active.get(a);
                StageDecision d = made.get(a);
                trails.get(i).add(d);
                if (d.exits()) {
                    decisions[i] = d;
                    exited++;
                }
            }
            int followers = 0;
            for (int i = 0; i < n; i++) {
                if (references[i] != i && decisions[i] == null && decisions[references[i]] != null) {
                    decisions[i] = decisions[references[i]];
                    followers++;
                }
            }
            runs.add(new StageRun(stage, active.size(), exited, followers, made.isEmpty() ? 0 : made.get(0).micros()));
        }
        List<FrameRoute> routes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            routes.add(new FrameRoute(List.copyOf(trails.get(i)), decisions[i], references[i] != i && decisions[i] != null,
                    decisions[i] == null ? failure : null));
        }
        return new Routing(routes, runs, Optional.ofNullable(failure));
    }
}
