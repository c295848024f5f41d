package io.sieve.cli;

import io.sieve.cascade.calibration.Budget;
import io.sieve.cascade.calibration.Calibrator;
import io.sieve.cascade.calibration.Guarantee;
import io.sieve.cascade.calibration.ModelScores;
import io.sieve.cascade.calibration.ScoreTable;
import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.cascade.evaluation.GuaranteeCheck;
import io.sieve.cascade.model.ConfidenceMeasure;
import io.sieve.images.LabelledImages;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "check-guarantee", mixinStandardHelpOptions = true,
        description = {"Check calibration's promise where it is made: pool every labelled frame (calibration and test parts), then",
            "over many random splits fit thresholds on a calibration part and count the splits whose test part breaks the",
            "budget, for the search-wide guarantee and for the per-candidate one. Writes a Markdown table (EVALUATION.md)."})
final class GuaranteeCheckCommand implements Callable<Integer> {
    @Option(names = "--models", required = true, split = ",", description = "Stages, cheapest first: model names or card paths.")
    List<String> models;

    @ArgGroup(exclusive = true, multiplicity = "1")
    CalibrateCommand.BudgetOption budget;

    @Option(names = "--confidence", defaultValue = "" + CascadeDefinition.DEFAULT_CONFIDENCE_LEVEL,
            description = "Confidence level of the promise (default: ${DEFAULT-VALUE}).")
    double confidence;

    @Option(names = "--measure", defaultValue = "MAX_PROBABILITY", description = "Confidence measure (default: ${DEFAULT-VALUE}).")
    ConfidenceMeasure measure;

    @Option(names = "--splits", defaultValue = "200", description = "Random splits (default: ${DEFAULT-VALUE}).")
    int splits;

    @Option(names = "--calibration-frames", description = "Frames per calibration part (default: as many as the data's own calibration part).")
    Integer calibrationFrames;

    @Mixin
    ModelOptions options;

    @Override
    public Integer call() {
        if (splits < 1) {
            throw new IllegalArgumentException("--splits must be at least 1, got " + splits);
        }
        Budget chosen = budget.toBudget();
        List<Path> cards = models.stream().map(ModelOptions::card).toList();
        ModelOptions.LabelledData data = options.labelled(ModelCards.of(cards), null);
        LabelledImages pooled = data.calibration().plus(data.test());
        int perPart = calibrationFrames != null ? calibrationFrames : data.calibration().size();
        List<ModelScores> scores = options.score(cards, pooled);
        ScoreTable table = Calibrator.table(scores, measure, Calibrator.CostUnit.MS, pooled.labels());
        List<GuaranteeCheck.Result> results;
        try (ProgressBar bar = ProgressBars.bar("splits", splits, "splits")) {
            results = GuaranteeCheck.run(table, chosen, confidence, perPart, splits, options.seed,
                    List.of(Guarantee.SEARCH_WIDE, Guarantee.PER_CANDIDATE), bar::stepBy);
        }
        boolean loss = chosen.kind() == Budget.Kind.MAX_LOSS;
        System.out.printf("%n%s at %.0f%% confidence, %s: %d random splits of %,d pooled frames into %,d for calibration and %,d for test%n%n",
                chosen, 100 * confidence, String.join(" -> ", models), splits, pooled.size(), perPart, pooled.size() - perPart);
        System.out.printf("| fitting | splits whose test part breaks the budget | median test %s | 95th percentile | median speedup (model time) |%n",
                loss ? "loss (points)" : "accuracy");
        System.out.println("| --- | ---: | ---: | ---: | ---: |");
        for (GuaranteeCheck.Result r : results) {
            double scale = 100;
            System.out.printf("| %s | %d (%.1f%%, promised at most %.0f%%) | %.2f | %.2f | %.2fx |%n", r.guarantee(), r.broken(),
                    100 * r.brokenShare(), 100 * (1 - confidence), scale * r.medianTestLoss(),
                    scale * r.testLossQuantile(loss ? 0.95 : 0.05), r.medianSpeedup());
        }
        return 0;
    }
}
