package io.sieve.cli;

import io.sieve.images.LabelledImages;
import io.sieve.cascade.calibration.Guarantee;
import io.sieve.cascade.evaluation.CascadeRun;
import io.sieve.cascade.calibration.ModelScores;
import io.sieve.cascade.evaluation.Sweep;
import io.sieve.cascade.runtime.Cascade;
import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.cascade.runtime.CascadeStage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Run a cascade in-process over labelled test data (CIFAR-10's test batch, or the test part of the image folder",
            "it was calibrated on) and write a report (Markdown, JSON, PNG plots):",
            "accuracy, exits and pass-through per stage, inference times, speedups against single models, and the",
            "accuracy-versus-cost curve over a sweep of budgets (thresholds always fitted on validation only)."})
final class EvaluateCommand implements Callable<Integer> {

    @Option(names = "--cascade", required = true, description = "The cascade file to evaluate.")
    Path cascadeFile;

    @Option(names = "--limit", description = "Evaluate only the first N test images.")
    Integer limit;

    @Option(names = "--sweep", split = ",", defaultValue = "0,0.0025,0.005,0.01,0.02,0.03,0.05,0.1",
            description = "Budgets (eps) for the accuracy-versus-cost curve (default: ${DEFAULT-VALUE}).")
    List<Double> sweep;

    @Option(names = "--out", description = "Report folder (default: reports/<cascade name>).")
    Path out;

    @Mixin
    ModelOptions options;

    @Override
    public Integer call() throws Exception {
        CascadeDefinition definition = CascadeDefinition.read(cascadeFile);
        ModelOptions.LabelledData data = options.labelled(ModelCards.ofCascade(cascadeFile), recordedData(definition));
        LabelledImages test = data.test();
        if (limit != null) {
            test = test.first(limit);
        }
        LabelledImages validation = data.calibration();
        Path reportDir = out != null ? out : SieveHome.path().resolve("reports/" + definition.name());
        Files.createDirectories(reportDir);

        List<ModelScores> testScores = new ArrayList<>();
        List<ModelScores> validationScores = new ArrayList<>();
        CascadeRun run;
        try (Cascade cascade = Cascade.load(cascadeFile, options.threads)) {
            testScores.addAll(score(cascade, test, "test"));
            try (ProgressBar bar = ProgressBars.bar("cascade " + cascade.name(), test.size(), "img")) {
                run = CascadeRun.run(cascade, test, options.batch, bar::stepBy);
            }
            validationScores.addAll(score(cascade, validation, "validation"));
        }
        var measure = definition.stages().get(0).measure();
        double level = definition.confidenceLevel();
        boolean perClass = definition.stages().get(0).classThresholds() != null;
        List<Sweep.Point> points = Sweep.run(validationScores, validation.labels(), testScores, test.labels(), measure, level,
                recordedGuarantee(definition), sweep, perClass);
        EvaluationReport report = EvaluationReport.of(definition, cascadeFile, test, options.batch, options.threads, run,
                testScores, points);
        report.write(reportDir);
        System.out.println(report.summary());
        System.out.println("Report: " + reportDir.resolve("report.md"));
        return 0;
    }

    /** How the cascade's thresholds were fitted: files from before search-wide guarantees were fitted per candidate. */
    static Guarantee recordedGuarantee(CascadeDefinition definition) {
        return definition.calibration() != null && definition.calibration().get("guarantee_method") instanceof String method
                ? Guarantee.valueOf(method) : Guarantee.PER_CANDIDATE;
    }

    /** What the cascade file says it was calibrated on, or null. */
    @SuppressWarnings("unchecked")
    static java.util.Map<String, Object> recordedData(CascadeDefinition definition) {
        return definition.calibration() != null && definition.calibration().get("calibration_data") instanceof java.util.Map<?, ?> m
                ? (java.util.Map<String, Object>) m : null;
    }

    /** Every stage's model alone on {@code data}; a stage that continues the one before it is given that one's outputs. */
    private List<ModelScores> score(Cascade cascade, LabelledImages data, String what) {
        ModelScores.Chain chain = new ModelScores.Chain(data, options.batch);
        List<ModelScores> scores = new ArrayList<>();
        for (CascadeStage stage : cascade.stages()) {
            try (ProgressBar bar = ProgressBars.bar(stage.model().name() + " on " + what, data.size(), "img")) {
                scores.add(chain.measure(stage.model(), stage.handedOn(), bar::stepBy));
            }
        }
        return scores;
    }
}
