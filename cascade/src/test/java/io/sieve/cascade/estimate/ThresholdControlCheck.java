package io.sieve.cascade.estimate;

import io.sieve.cascade.runtime.Cascade;
import io.sieve.cascade.runtime.StageDecision;
import io.sieve.images.Image;
import io.sieve.images.LabelledImages;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * Replays a two-stage cascade's query over fixed frames in seeded random orders, with fresh audit
 * coins, with and without self-correcting thresholds, as the stream app runs them: stage 0 decides
 * a frame when its confidence reaches the threshold in force, the audit labels a share of its
 * answers with the last stage, and the control decides again every {@code decideEvery} frames (a
 * progress record's worth at the demo's replay rate).
 */
public final class ThresholdControlCheck {

    /** What each stage makes of one frame, and its true label. */
    public record Frame(double earlyConfidence, int earlyLabel, int lastLabel, int truth) {
    }

    /**
     * One setting's replays: the mean accuracy lost against the last stage over all frames and the
     * share of replays where it exceeded the budget; the mean disagreement with the last stage; the mean accuracy; the mean share of frames the last
     * stage ran on (answers and audits); the mean threshold at the end and changes per replay.
     */
    public record Result(double meanLoss, double overBudget, double meanDisagreement, double meanAccuracy, double lastStageShare, double finalThreshold,
                         double changes) {
    }

    public static List<Frame> frames(Cascade cascade, LabelledImages images, UnaryOperator<Image> shift) {
        List<Frame> frames = new ArrayList<>(images.size());
        for (int start = 0; start < images.size(); start += 500) {
            List<Image> batch = images.images().subList(start, Math.min(images.size(), start + 500)).stream().map(shift).toList();
            List<StageDecision> early = cascade.stages().get(0).apply(batch);
            List<StageDecision> late = cascade.stages().get(cascade.stages().size() - 1).apply(batch);
            for (int i = 0; i < batch.size(); i++) {
                frames.add(new Frame(early.get(i).confidence(), early.get(i).label(), late.get(i).label(), images.labels()[start + i]));
            }
        }
        return frames;
    }

    /** @param labelled whether the frames carry their true labels (the control keeps the accuracy loss, else the disagreement) */
    /**
     * @param target the control's target: the budget with labels, calibration's disagreement without
     * @param budget the accuracy-loss budget a replay's loss is judged against
     */
    public static Result run(List<Frame> frames, double calibratedThreshold, double target, double budget, boolean labelled,
                             boolean selfCorrect, double auditRate, int decideEvery, int replays, long seed) {
        Random random = new Random(seed);
        int n = frames.size();
        double loss = 0;
        int over = 0;
        double disagreement = 0;
        double accuracy = 0;
        double lastShare = 0;
        double threshold = 0;
        double changes = 0;
        for (int r = 0; r < replays; r++) {
            List<Frame> order = new ArrayList<>(frames);
            Collections.shuffle(order, random);
            ThresholdControl control = new ThresholdControl(labelled ? ThresholdControl.Measure.ACCURACY_LOSS
                    : ThresholdControl.Measure.DISAGREEMENT, target, java.util.Arrays.asList(calibratedThreshold, null), n);
            long lost = 0;
            long correct = 0;
            long lastCorrect = 0;
            long last = 0;
            for (int i = 0; i < n; i++) {
                Frame f = order.get(i);
                double inForce = selfCorrect ? control.threshold(0) : calibratedThreshold;
                boolean exits = f.earlyConfidence() >= inForce;
                int answer = exits ? f.earlyLabel() : f.lastLabel();
                boolean audited = exits && random.nextDouble() < auditRate;
                List<ThresholdControl.Verdict> verdicts = List.of(new ThresholdControl.Verdict(0, f.earlyConfidence(), f.earlyLabel()));
                if (exits) {
                    control.observe(verdicts, audited ? Integer.valueOf(f.lastLabel()) : null, auditRate, labelled ? f.truth() : null);
                } else {
                    control.observe(verdicts, f.lastLabel(), 1, labelled ? f.truth() : null);
                }
                lost += answer != f.lastLabel() ? 1 : 0;
                correct += answer == f.truth() ? 1 : 0;
                lastCorrect += f.lastLabel() == f.truth() ? 1 : 0;
                last += !exits || audited ? 1 : 0;
                if (selfCorrect && (i + 1) % decideEvery == 0) {
                    changes += control.decide().size();
                }
            }
            double accuracyLoss = (double) (lastCorrect - correct) / n;
            loss += accuracyLoss;
            over += accuracyLoss > budget ? 1 : 0;
            disagreement += (double) lost / n;
            accuracy += (double) correct / n;
            lastShare += (double) last / n;
            threshold += selfCorrect ? Math.min(1.0, control.threshold(0)) : calibratedThreshold;
        }
        return new Result(loss / replays, (double) over / replays, disagreement / replays, accuracy / replays, lastShare / replays, threshold / replays,
                changes / replays);
    }
}
