package io.sieve.cascade.calibration;

import io.sieve.cascade.calibration.ModelScores;
import io.sieve.cascade.model.ConfidenceMeasure;
import io.sieve.cascade.model.ClassProbabilities;
import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.cascade.model.ModelCard;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns scored validation data into a calibrated cascade definition: thresholds from
 * {@link ThresholdSearch}, reliability tables for the online estimator, exit profiles for the drift
 * alarm, and a record of the operating point and the guarantee behind it.
 */
public final class Calibrator {
    public static final int RELIABILITY_BINS = 10;
    public static final int MIN_FRAMES_PER_BIN = 30;

    public enum CostUnit { MS, MACS }

    /** A calibration request. */
    public record Request(Budget budget, double confidenceLevel, ConfidenceMeasure measure, boolean perClass,
                          CostUnit costUnit, int grid, Guarantee guarantee) {
    }

    /** The chosen operating point on the validation set, and the definition to write. */
    public record Result(Outcome outcome, double lossUpperBound, double accuracyLowerBound, double referenceCost,
                         ScoreTable table, CascadeDefinition definition) {
        public double speedup() {
            return referenceCost / outcome.meanCost();
        }
    }

    private Calibrator() {
    }

    /** The score table of these models under one measure, costed per image in the requested unit. */
    public static ScoreTable table(List<ModelScores> scores, ConfidenceMeasure measure, CostUnit unit, int[] truth) {
        List<List<ClassProbabilities>> predictions = scores.stream().map(ModelScores::predictions).toList();
        double[] costs = scores.stream().mapToDouble(s -> unit == CostUnit.MS ? s.msPerImage() : macsOf(s)).toArray();
        List<ModelCard> cards = scores.stream().map(ModelScores::card).toList();
        boolean[] handsOn = new boolean[cards.size()];
        for (int s = 0; s < handsOn.length; s++) {
            handsOn[s] = !ModelCard.handedOn(cards, s).isEmpty();
        }
        return ScoreTable.of(predictions, predictions.stream().map(p -> measure).toList(), truth, costs, handsOn);
    }

    private static double macsOf(ModelScores scores) {
        Long macs = scores.card().macs();
        if (macs == null) {
            throw new CalibrationException("costs in MACs need every card's macs; model " + scores.name()
                    + "'s card has none (cost by measured time instead, or give its card a macs value)");
        }
        return macs;
    }

    /**
     * Fits the thresholds on the calibration frames whose true labels are {@code truth}.
     *
     * @param data what the frames are (path, count, content hash, split), recorded in the cascade file
     */
    public static Result calibrate(String name, List<ModelScores> scores, List<Path> cardPaths, Path cascadeFile,
                                   int[] truth, Map<String, Object> data, Request request) {
        if (scores.size() < 2) {
            throw new CalibrationException("a cascade needs at least two models, got " + scores.size());
        }
        ModelCard.requireSameClasses(scores.stream().map(ModelScores::card).toList());
        ModelCard.requireContinuationsFollow(scores.stream().map(ModelScores::card).toList());
        requireEnoughFrames(request.budget(), request.confidenceLevel(), truth.length, scores.size(), request.guarantee(),
                String.valueOf(data.getOrDefault("path", "the data")));
        ScoreTable table = table(scores, request.measure(), request.costUnit(), truth);
        ThresholdSearch search = new ThresholdSearch(table, request.confidenceLevel(), request.guarantee());
        Outcome best = search.search(request.budget(), request.grid(), request.perClass());
        int last = scores.size() - 1;
        double referenceCost = table.referenceCost();

        List<CascadeDefinition.StageDefinition> stages = new ArrayList<>();
        for (int s = 0; s < scores.size(); s++) {
            Thresholds t = best.thresholds();
            boolean isLast = s == last;
            Double threshold = isLast ? null : exitable(t.global()[s]);
            double[] perClass = !isLast && t.perClass() != null ? t.perClass()[s] : null;
            Path relative = cascadeFile.toAbsolutePath().getParent().relativize(cardPaths.get(s).toAbsolutePath());
            stages.add(new CascadeDefinition.StageDefinition(relative.toString(), request.measure(), threshold,
                    perClass == null ? null : java.util.Arrays.stream(perClass).map(Calibrator::exitable).toArray(),
                    new CascadeDefinition.Cost(scores.get(s).card().macs(), scores.get(s).msPerImage()),
                    table.reliability(t, s, RELIABILITY_BINS, MIN_FRAMES_PER_BIN),
                    table.confusion(t, s, scores.get(s).card().numClasses()),
                    isLast ? null : table.exitProfile(t, s)));
        }
        double lossBound = search.lossBound(best);
        double accuracyBound = search.accuracyBound(best);
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("budget", request.budget().toString());
        record.put("confidence_level", request.confidenceLevel());
        record.put("measure", request.measure().name());
        record.put("per_class_thresholds", request.perClass());
        record.put("cost_unit", request.costUnit().name());
        record.put("calibration_data", data);
        record.put("validation_frames", truth.length);
        record.put("validation_accuracy", best.accuracy());
        record.put("last_stage_validation_accuracy", table.accuracy(last));
        record.put("validation_loss", best.loss());
        record.put("loss_upper_bound", lossBound);
        record.put("accuracy_lower_bound", accuracyBound);
        record.put("exit_rates", java.util.stream.IntStream.range(0, scores.size()).mapToDouble(best::exitRate).toArray());
        record.put("expected_cost_per_frame", best.meanCost());
        record.put("last_stage_cost_per_frame", referenceCost);
        record.put("expected_speedup", referenceCost / best.meanCost());
        record.put("guarantee_method", request.guarantee().name());
        record.put("test_level", search.testLevel());
        record.put("guarantee", guarantee(request, search, truth.length));
        CascadeDefinition definition = new CascadeDefinition(name, stages, record, null);
        return new Result(best, lossBound, accuracyBound, referenceCost, table, definition);
    }

    /**
     * The fewest frames with which even a perfect record (no frame lost) bounds the loss at the
     * budget: the exact one-sided binomial (Clopper-Pearson) bound for 0 of n is below eps only when
     * {@code (1 - eps)^n <= 1 - level}. Budgets stated
     * as a minimum accuracy need no fixed count.
     */
    public static int framesForLossBound(Budget budget, double level) {
        if (budget.kind() != Budget.Kind.MAX_LOSS || budget.value() <= 0) {
            return 1;
        }
        return (int) Math.ceil(Math.log(1 - level) / Math.log1p(-budget.value()));
    }

    /**
     * Refuses calibration data too small for the budget's bound, naming {@code what} it is. The bound
     * of a search-wide search over three or more stages rests on the frames that do not order its
     * candidates, so those must be enough.
     *
     * @throws CalibrationException saying how many frames are needed and what to do
     */
    public static void requireEnoughFrames(Budget budget, double level, int frames, int stages, Guarantee guarantee, String what) {
        int needed = framesForLossBound(budget, level);
        if (ThresholdSearch.testingFrames(frames, stages, guarantee) >= needed) {
            return;
        }
        int neededInAll = needed;
        while (ThresholdSearch.testingFrames(neededInAll, stages, guarantee) < needed) {
            neededInAll++;
        }
        throw new CalibrationException("calibration needs at least " + neededInAll + " labelled frames for " + budget + " at "
                + Math.round(100 * level) + "% confidence (even with no mistakes, fewer frames cannot bound the loss that low"
                + (neededInAll > needed ? String.format("; %.0f%% of them order the candidates of a cascade of three or more stages "
                        + "and the bound rests on the rest", 100 * ThresholdSearch.ORDERING_SHARE) : "")
                + "); the calibration data (" + what + ") holds " + frames
                + ": add labelled images, use a larger calibration part (--split), or allow a larger loss");
    }

    /** JSON has no infinity: a stage that never lets a frame exit gets threshold 2, above any confidence. */
    private static double exitable(double threshold) {
        return Double.isInfinite(threshold) ? 2.0 : threshold;
    }

    /** The promise the thresholds come with, in one sentence (plus how it is kept). */
    static String guarantee(Request request, ThresholdSearch search, int frames) {
        double level = 100 * request.confidenceLevel();
        String budget = request.budget().kind() == Budget.Kind.MAX_LOSS
                ? String.format("the accuracy loss against the last stage alone is at most %.2f points", 100 * request.budget().value())
                : String.format("the accuracy is at least %.2f%%", 100 * request.budget().value());
        if (request.guarantee() == Guarantee.SEARCH_WIDE) {
            return String.format("With probability at least %.0f%% over the draw of the %,d calibration frames, %s on new frames "
                    + "from the same distribution. (Learn then Test: every candidate tested with exact Clopper-Pearson bounds, %s; "
                    + "the cheapest candidate that passed was chosen.)", level, frames, budget,
                    !search.usedParetoTesting()
                            ? String.format("in a fixed order along a fixed path of thresholds at level %.3g, stopping at the first that failed", search.testLevel())
                            : String.format("ordered along their estimated Pareto front on a fixed random %.0f%% of the frames, then "
                                    + "tested on the other %,d in that order at level %.3g, stopping at the first that failed",
                                    100 * ThresholdSearch.ORDERING_SHARE, search.testingFrames(), search.testLevel()));
        }
        return String.format("Per candidate only: %s where the chosen thresholds' one-sided %.0f%% bound (normal approximation, "
                + "z = %.3f) on the %,d calibration frames says so; choosing among many candidates makes that bound optimistic "
                + "(EVALUATION.md measures by how much).", budget, level, search.z(), frames);
    }
}
