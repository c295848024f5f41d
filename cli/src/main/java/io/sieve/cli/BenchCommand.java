package io.sieve.cli;

import io.sieve.images.LabelledImages;
import io.sieve.images.Image;
import io.sieve.cascade.model.ModelCard;
import java.nio.file.Path;
import io.sieve.cascade.model.OnnxClassifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchCommand.Models.class, PipelineCommand.class, CamerasCommand.class})
final class BenchCommand {

    @Command(name = "models", mixinStandardHelpOptions = true,
            description = {"ONNX Runtime latency at batch 1 and throughput at batch 64 of every model in models/onnx,",
                "through the Java model stage (preprocessing and softmax included). Run it on a quiet machine."})
    static final class Models implements Callable<Integer> {
        @Option(names = "--models", split = ",", description = "Models to measure (default: every card in models/onnx).")
        List<String> models;

        @Option(names = "--seconds", defaultValue = "3", description = "Measuring time per model and batch size (default: ${DEFAULT-VALUE}).")
        double seconds;

        @Mixin
        ModelOptions options;

        @Override
        public Integer call() {
            List<String> names = models != null ? models : ModelOptions.zooNames();
            System.out.printf("ONNX Runtime Java, %d intra-op thread(s), %d available processors%n%n", options.threads,
                    Runtime.getRuntime().availableProcessors());
            System.out.println("| model | params | MACs | val acc | test acc | batch 1 p50 (ms) | batch 1 p99 (ms) | batch 64 (img/s) |");
            System.out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            for (String name : names) {
                Path cardFile = ModelOptions.card(name);
                LabelledImages test = options.labelled(ModelCards.of(List.of(cardFile)), null).test();
                try (OnnxClassifier stage = OnnxClassifier.load(cardFile, options.threads)) {
                    ModelCard card = stage.card();
                    double[] single = latencies(stage, test.images(), 1, seconds);
                    double[] batched = latencies(stage, test.images(), 64, seconds);
                    double throughput = 64 / (Arrays.stream(batched).average().orElseThrow() / 1000);
                    System.out.printf("| %s | %s | %s | %s | %s | %.3f | %.3f | %,.0f |%n", card.name(),
                            card.params() == null ? "?" : String.format("%,d", card.params()), EvaluationReport.megaMacs(card.macs()),
                            EvaluationReport.percent(card.validationAccuracy()), EvaluationReport.percent(card.testAccuracy()),
                            percentile(single, 50), percentile(single, 99), throughput);
                }
            }
            return 0;
        }
    }

    /** Milliseconds per call of {@code batch} images, over about {@code seconds} after a warm-up. */
    static double[] latencies(OnnxClassifier stage, List<Image> images, int batch, double seconds) {
        List<List<Image>> batches = new ArrayList<>();
        for (int start = 0; start + batch <= images.size(); start += batch) {
            batches.add(images.subList(start, start + batch));
        }
        long warmUntil = System.nanoTime() + (long) (0.5e9);
        for (int i = 0; System.nanoTime() < warmUntil; i++) {
            stage.predict(batches.get(i % batches.size()));
        }
        List<Double> millis = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        try (ProgressBar bar = ProgressBars.bar(stage.name() + " batch " + batch, (long) (seconds * 10), "x0.1s")) {
            long lastTick = System.nanoTime();
            for (int i = 0; System.nanoTime() < end; i++) {
                long t0 = System.nanoTime();
                stage.predict(batches.get(i % batches.size()));
                long t1 = System.nanoTime();
                millis.add((t1 - t0) / 1e6);
                if (t1 - lastTick > 1e8) {
                    bar.stepBy((t1 - lastTick) / 100_000_000);
                    lastTick = t1;
                }
            }
        }
        return millis.stream().mapToDouble(Double::doubleValue).toArray();
    }

    static double percentile(double[] values, double p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
