package io.sieve.cascade.runtime;

import io.sieve.cascade.model.CarriedTensors;
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
 * cost model time and decide nothing) unless the next stage continues it; the last stage decides
 * what is left. A stage that continues the one before it gets, for each of its frames, the outputs
 * that stage handed on for that frame.
 *
 * <p>A frame may follow another frame of the batch (the difference filter found it nearly equal):
 * a follower never runs a model; it takes its reference's decision at whichever stage that is made.
 *
 * <p>A frame picked for the live audit keeps the decision of the stage it exits at, and also goes
 * to the last stage, in the same batch as the frames still undecided there, so that its label can
 * be recorded beside the answer; where the last stage continues earlier stages, those run the frame
 * first. Where the last stage is not among the given stages the audit is left pending, for the
 * instance that runs it.
 */
public final class CascadeRouter {
    private CascadeRouter() {
    }

    /** What a frame asks of the stages. */
    public enum FrameTask {
        /** Decide it. */
        DECIDE,
        /** Decide it, and if a stage before the last decides it, have the last stage label it too. */
        DECIDE_AND_AUDIT,
        /** Decided by an earlier instance and picked for the audit: only the last stage's label is wanted. */
        AUDIT_ONLY
    }

    /** Where a frame's audit stands. */
    public enum AuditStatus {
        /** Not asked for, or not needed (the last stage decided the frame). */
        NONE,
        /** The last stage labelled the frame: {@link FrameRoute#audit()}. */
        DONE,
        /** Asked for, but the last stage is not among the stages given. */
        PENDING,
        /** Asked for, but the last stage's model failed on the batch; the frame's decision stands. */
        FAILED
    }

    /**
     * What became of one frame: the decisions of the stages it ran through itself (in order), the
     * decision that let it exit (its own, or its reference's when {@code followed}; null while
     * undecided, after a failure, and for a frame decided before it came), the failure that stopped
     * it, if any, and its audit: the last stage's decision on it when done.
     */
    public record FrameRoute(List<StageDecision> trail, StageDecision decision, boolean followed, StageFailure failure,
                             AuditStatus auditStatus, StageDecision audit) {
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

    /**
     * One stage's work on one batch: frames it ran the model on (audited ones included), how many of
     * them exited, followers it decided, frames it labelled for the audit, model time.
     */
    public record StageRun(CascadeStage stage, int frames, int exited, int followersDecided, int audited, long microsPerFrame) {
    }

    /**
     * Every frame's route, in the order given, the work of each stage that ran, and the failure that
     * stopped the batch, if a model failed (then every frame not decided before it carries it).
     */
    public record Routing(List<FrameRoute> frames, List<StageRun> runs, Optional<StageFailure> failure) {
    }

    /**
     * Routes {@code images} through consecutive {@code stages} (cheapest first; the last may or may
     * not be the cascade's last stage).
     *
     * @param references {@code references[i]} is the frame whose decision frame {@code i} takes: {@code i}
     *                   itself, or a frame that is its own reference and is to be decided here
     * @param tasks      what each frame asks for
     */
    public static Routing route(List<CascadeStage> stages, List<Image> images, int[] references, FrameTask[] tasks) {
        return route(stages, images, references, tasks, new double[images.size()][]);
    }

    /**
     * Routes as {@link #route(List, List, int[], FrameTask[])}, with raised thresholds: a frame with
     * {@code exitFloors[i]} set exits a stage before the last only if its confidence also reaches
     * {@code exitFloors[i][stage index]} (a query's self-corrected threshold; null or NaN: the stage's own).
     */
    public static Routing route(List<CascadeStage> stages, List<Image> images, int[] references, FrameTask[] tasks,
                                double[][] exitFloors) {
        int n = images.size();
        if (exitFloors.length != n) {
            throw new IllegalArgumentException(exitFloors.length + " exit floors for " + n + " frames");
        }
        if (references.length != n || tasks.length != n) {
            throw new IllegalArgumentException(references.length + " references and " + tasks.length + " tasks for " + n + " frames");
        }
        for (int i = 0; i < n; i++) {
            int r = references[i];
            if (r < 0 || r >= n || references[r] != r || (r != i && tasks[r] == FrameTask.AUDIT_ONLY)) {
                throw new IllegalArgumentException("frame " + i + " follows frame " + r + ", which is not a reference of this batch");
            }
        }
        boolean lastStageHere = stages.get(stages.size() - 1).isLast();
        int lastIndex = lastStageHere ? stages.get(stages.size() - 1).index() : -1;
        boolean[] running = stagesToRun(stages);
        boolean[] feedsLast = feedLastStage(stages);
        List<List<StageDecision>> trails = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            trails.add(new ArrayList<>(stages.size()));
        }
        StageDecision[] decisions = new StageDecision[n];
        StageDecision[] audits = new StageDecision[n];
        // Fused stages with the same input size share one resized copy of each frame.
        Map<ResizeTarget, Image[]> resized = new HashMap<>();
        StageFailure failure = null;
        List<StageRun> runs = new ArrayList<>();
        // What the stage run last handed on, and each frame's row in it (-1: none).
        CarriedTensors carried = CarriedTensors.NONE;
        int[] carriedRow = new int[n];
        for (int j = 0; j < stages.size(); j++) {
            CascadeStage stage = stages.get(j);
            if (!running[j]) {
                continue;
            }
            List<Integer> active = new ArrayList<>();
            // Frames the stage runs only for the audit: the last stage labels them, and the stages
            // that hand it their outputs run them first; their decisions here are not the answer.
            List<Boolean> auditing = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                boolean undecided = tasks[i] != FrameTask.AUDIT_ONLY && references[i] == i && decisions[i] == null;
                boolean audit = (stage.isLast() || feedsLast[j]) && auditWanted(tasks[i], decisions[i], references[i] != i, lastIndex);
                if (undecided || audit) {
                    active.add(i);
                    auditing.add(audit && !undecided);
                }
            }
            if (active.isEmpty()) {
                continue;
            }
            CascadeStage.Applied applied;
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
                CarriedTensors given = CarriedTensors.NONE;
                if (stage.continuesPrevious()) {
                    int[] rows = new int[active.size()];
                    for (int a = 0; a < rows.length; a++) {
                        rows[a] = carriedRow[active.get(a)];
                    }
                    given = carried.select(rows);
                }
                applied = stage.apply(batch, given);
            } catch (ModelException | IllegalArgumentException e) {
                // Every frame still undecided stops here (followers are undecided exactly while their reference is).
                failure = new StageFailure(stage, "model " + stage.model().name() + " failed: " + e.getMessage());
                break;
            }
            List<StageDecision> made = applied.decisions();
            carried = applied.handedOn();
            Arrays.fill(carriedRow, -1);
            if (stage.handsOn()) {
                for (int a = 0; a < active.size(); a++) {
                    carriedRow[active.get(a)] = a;
                }
            }
            int exited = 0;
            int audited = 0;
            for (int a = 0; a < active.size(); a++) {
                int i = active.get(a);
                StageDecision d = made.get(a);
                double[] floors = exitFloors[i];
                if (d.exits() && !stage.isLast() && floors != null && stage.index() < floors.length && d.confidence() < floors[stage.index()]) {
                    d = new StageDecision(d.stage(), d.model(), d.prediction(), d.confidence(), false, d.micros());
                }
                if (auditing.get(a)) {
                    if (stage.isLast()) {
                        audits[i] = d;
                    }
                    audited++;
                    continue;
                }
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
            runs.add(new StageRun(stage, active.size(), exited, followers, audited, made.isEmpty() ? 0 : made.get(0).micros()));
        }
        List<FrameRoute> routes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            AuditStatus audit = audits[i] != null ? AuditStatus.DONE
                    : !auditWanted(tasks[i], decisions[i], references[i] != i, lastIndex) ? AuditStatus.NONE
                    : failure != null || lastStageHere ? AuditStatus.FAILED
                    : AuditStatus.PENDING;
            boolean undecided = decisions[i] == null && tasks[i] != FrameTask.AUDIT_ONLY;
            routes.add(new FrameRoute(List.copyOf(trails.get(i)), decisions[i], references[i] != i && decisions[i] != null,
                    undecided ? failure : null, audit, audits[i]));
        }
        return new Routing(routes, runs, Optional.ofNullable(failure));
    }

    /**
     * Which stages run: one whose thresholds let no frame exit is skipped (running it would cost
     * model time and decide nothing) unless it hands outputs on to a next stage that runs.
     */
    private static boolean[] stagesToRun(List<CascadeStage> stages) {
        boolean[] runs = new boolean[stages.size()];
        for (int j = stages.size() - 1; j >= 0; j--) {
            CascadeStage stage = stages.get(j);
            if (stage.continuesPrevious() && (j == 0 || stages.get(j - 1).index() != stage.index() - 1)) {
                throw new IllegalArgumentException("stage " + stage.index() + " (" + stage.model().name() + ") continues the stage before it, "
                        + "which is not among the stages routed here: run them together");
            }
            if (stage.handsOn() && (j == stages.size() - 1 || stages.get(j + 1).index() != stage.index() + 1)) {
                throw new IllegalArgumentException("stage " + stage.index() + " (" + stage.model().name() + ") hands its outputs on to the stage "
                        + "after it, which is not among the stages routed here: run them together");
            }
            runs[j] = stage.canExit() || stage.handsOn() && runs[j + 1];
        }
        return runs;
    }

    /** Which stages hand their outputs on, stage by stage, to the cascade's last stage (when it is among {@code stages}). */
    private static boolean[] feedLastStage(List<CascadeStage> stages) {
        boolean[] feeds = new boolean[stages.size()];
        for (int j = stages.size() - 2; j >= 0; j--) {
            feeds[j] = stages.get(j).handsOn() && (stages.get(j + 1).isLast() || feeds[j + 1]);
        }
        return feeds;
    }

    /**
     * Whether the frame wants the last stage's label beside an answer that is not the last stage's
     * own on it: decided before the last stage (whose index is {@code lastIndex}, -1 when it is not
     * among the stages routed), or a follower, which takes another frame's answer whichever stage
     * gives it (at the last stage every reference is decided, so its followers are asked for there).
     */
    private static boolean auditWanted(FrameTask task, StageDecision decision, boolean follower, int lastIndex) {
        return task == FrameTask.AUDIT_ONLY || (task == FrameTask.DECIDE_AND_AUDIT
                && (decision != null ? follower || decision.stage() != lastIndex : follower && lastIndex >= 0));
    }
}
