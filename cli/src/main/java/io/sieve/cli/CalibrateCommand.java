package io.sieve.cli;

import io.sieve.cascade.calibration.Budget;
import io.sieve.cascade.calibration.Calibrator;
import io.sieve.cascade.calibration.Guarantee;
import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.images.LabelledImages;
import io.sieve.cascade.calibration.ModelScores;
import io.sieve.cascade.model.ConfidenceMeasure;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = {"Choose a cascade's exit thresholds on labelled calibration data: CIFAR-10's validation split (records",
            "5000-9999 of data_batch_5.bin) or the calibration part of an image folder (--data DIR --split 0.5).",
            "Minimises the expected cost per frame subject to an accuracy budget that must hold at a confidence bound,",
            "searching all stages' thresholds jointly, and writes the cascade file with per-stage reliability tables."})
final class CalibrateCommand implements Callable<Integer> {

    @Option(names = "--models", required = true, split = ",",
            description = "Stages, cheapest first: model names from models/onnx or card paths, e.g. sievenet_m,resnet20.")
    List<String> models;

    @ArgGroup(exclusive = true, multiplicity = "1")
    BudgetOption budget;

    static final class BudgetOption {
        @Option(names = "--eps", description = "Accuracy loss allowed against the last stage alone, as a fraction (0.01 = 1 point).")
        Double eps;

        @Option(names = "--target-accuracy", description = "Accuracy the cascade must reach, as a fraction (0.88).")
        Double target;

        Budget toBudget() {
            return eps != null ? Budget.maxLoss(eps) : Budget.minAccuracy(target);
        }
    }

    @Option(names = "--confidence", defaultValue = "" + CascadeDefinition.DEFAULT_CONFIDENCE_LEVEL, description = "One-sided confidence level of the budget's bound (default: ${DEFAULT-VALUE}).")
    double confidence;

    @Option(names = "--measure", defaultValue = "MAX_PROBABILITY",
            description = "Confidence measure: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    ConfidenceMeasure measure;

    @Option(names = "--per-class", description = "Also lower thresholds per predicted class where the bound allows.")
    boolean perClass;

    @Option(names = "--cost", defaultValue = "MS", description = "What to minimise: MS (measured model time) or MACS (default: ${DEFAULT-VALUE}).")
    Calibrator.CostUnit cost;

    @Option(names = "--guarantee", defaultValue = "SEARCH_WIDE", description = {"What the budget's bound covers: SEARCH_WIDE",
        "(the whole threshold search, exact bounds; Learn then Test) or PER_CANDIDATE (each candidate alone, normal approximation;",
        "needed for --per-class) (default: ${DEFAULT-VALUE})."})
    Guarantee guarantee;

    @Option(names = "--grid", defaultValue = "100", description = "Threshold candidates per stage (default: ${DEFAULT-VALUE}).")
    int grid;

    @Option(names = "--name", description = "Cascade name (default: the model names joined by '-').")
    String name;

    @Option(names = "--out", description = "Cascade file to write (default: models/cascades/<name>.cascade.json).")
    Path out;

    @Mixin
    ModelOptions options;

    @Override
    public Integer call() throws Exception {
        Budget chosen = budget.toBudget();
        List<Path> cards = models.stream().map(ModelOptions::card).toList();
        String cascadeName = name != null ? name : String.join("-", models.stream()
                .map(m -> Path.of(m).getFileName().toString().replace(".card.json", "")).toList());
        Path file = out != null ? out : SieveHome.path().resolve("models/cascades/" + cascadeName + ".cascade.json");
        ModelCards modelCards = ModelCards.of(cards);
        ModelOptions.LabelledData data = options.labelled(modelCards, null);
        LabelledImages validation = data.calibration();
        // Before any model runs: a part too small for the bound fails at once.
        Calibrator.requireEnoughFrames(chosen, confidence, validation.size(), cards.size(), guarantee, validation.name());
        System.out.printf("Calibrating on %,d frames of %s (%s)%n", validation.size(), data.provenance().get("path"),
                validation.name());

        List<ModelScores> scores = options.score(cards, validation);
        Calibrator.Result result = Calibrator.calibrate(cascadeName, scores, cards, file, validation.labels(),
                data.provenance(), new Calibrator.Request(chosen, confidence, measure, perClass, cost, grid, guarantee));
        result.definition().write(file);
        print(result, scores, chosen);
        scores.forEach(s -> seenInTrainingWarning(s, validation.labels()).ifPresent(w -> System.err.println(System.lineSeparator() + w)));
        System.out.println("Guarantee: " + result.definition().calibration().get("guarantee"));
        System.out.println("Wrote " + file);
        return 0;
    }

    /**
     * A model that does clearly better on the calibration frames than on the held-out data its card
     * reports has most likely been trained on them; its confidence is then higher than on new
     * frames, and thresholds fitted on them let more wrong answers exit than the budget allows.
     */
    static java.util.Optional<String> seenInTrainingWarning(ModelScores scores, int[] truth) {
        Double heldOut = scores.card().testAccuracy() != null ? scores.card().testAccuracy() : scores.card().validationAccuracy();
        if (heldOut == null) {
            return java.util.Optional.empty();
        }
        double onCalibration = scores.accuracy(truth);
        double margin = Math.max(0.02, 3 * Math.sqrt(heldOut * (1 - heldOut) / truth.length));
        if (onCalibration - heldOut <= margin) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(String.format("Warning: model %s is %.2f%% accurate on these calibration frames but its card states"
                + " %.2f%% on held-out data.%nIt was most likely trained on (some of) them. Calibrate on labelled images the models have"
                + " never seen: on frames%nfrom training, models are more confident and more often right than on new frames, so the"
                + " thresholds let more%nwrong answers exit than the budget allows and the promised bound does not hold.",
                scores.name(), 100 * onCalibration, 100 * heldOut));
    }

    private void print(Calibrator.Result result, List<ModelScores> scores, Budget chosen) {
        var o = result.outcome();
        System.out.printf("Operating point for %s at %.0f%% confidence (%d validation frames):%n", chosen, 100 * confidence, o.n());
        for (int s = 0; s < scores.size(); s++) {
            ModelScores m = scores.get(s);
            String threshold = s == scores.size() - 1 ? "decides the rest"
                    : Double.isInfinite(o.thresholds().global()[s]) ? "never exits" : String.format("exits at %s >= %.4f", measure, o.thresholds().global()[s]);
            // A model that continues the one before it is never run alone: its accuracy is the pair's, its time its own.
            String alone = m.card().continues() == null ? "alone" : "after " + m.card().continues().model();
            System.out.printf("  stage %d %-16s %-40s exits %5.1f%% of frames   %s: %.2f%% accurate, %.4f ms/img%n",
                    s, m.name(), threshold, 100 * o.exitRate(s), alone, 100 * m.accuracy(result.table().truth()), m.msPerImage());
        }
        System.out.printf("  cascade accuracy %.2f%% (last stage alone %.2f%%), loss %.2f points, %.0f%% upper bound %.2f points%n",
                100 * o.accuracy(), 100 * result.table().accuracy(scores.size() - 1), 100 * o.loss(), 100 * confidence,
                100 * result.lossUpperBound());
        System.out.printf("  expected cost %.4f %s per frame against %.4f for the last stage alone%s: %.2fx%n",
                o.meanCost(), cost == Calibrator.CostUnit.MS ? "ms" : "MACs", result.referenceCost(),
                scores.get(scores.size() - 1).card().continues() == null ? "" : " (with the stages it continues)", result.speedup());
    }
}
