package io.sieve.cli;

import io.sieve.images.LabelledImages;
import io.sieve.images.Image;
import io.sieve.cascade.model.CarriedTensors;
import io.sieve.cascade.model.ModelCard;
import io.sieve.cascade.model.ModelChain;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchCommand.Models.class, PipelineCommand.class, CamerasCommand.class})
final class BenchCommand {
    /** Batches a continuation is timed on: what its producers hand on for them is held in memory. */
    static final int CARRIED_BATCHES = 64;

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
                try (ModelChain chain = ModelChain.load(ModelCard.read(cardFile), options.threads)) {
                    ModelCard card = chain.last().card();
                    double[] single = latencies(chain, test.images(), 1, seconds);
                    double[] batched = latencies(chain, test.images(), 64, seconds);
                    double throughput = 64 / (Arrays.stream(batched).average().orElseThrow() / 1000);
                    String shown = card.continues() == null ? card.name() : card.name() + " (after " + card.continues().model() + ")";
                    System.out.printf("| %s | %s | %s | %s | %s | %.3f | %.3f | %,.0f |%n", shown,
                            card.params() == null ? "?" : String.format("%,d", card.params()), EvaluationReport.megaMacs(card.macs()),
                            EvaluationReport.percent(card.validationAccuracy()), EvaluationReport.percent(card.testAccuracy()),
                            percentile(single, 50), percentile(single, 99), throughput);
                }
            }
            return 0;
        }
    }

    /**
     * Milliseconds per call of {@code batch} images to the chain's last model, over about
     * {@code seconds} after a warm-up. A model that continues others is given what they hand on,
     * computed beforehand for the first {@link #CARRIED_BATCHES} batches, and only its own call is timed.
     */
    static double[] latencies(ModelChain chain, List<Image> images, int batch, double seconds) {
        boolean continues = chain.last().card().continues() != null;
        List<List<Image>> batches = batches(images, batch, continues ? CARRIED_BATCHES : Integer.MAX_VALUE);
        List<CarriedTensors> carried = batches.stream().map(b -> continues ? chain.handedOnToLast(b) : CarriedTensors.NONE).toList();
        return latencies(chain.last().name() + " batch " + batch, batches.size(), seconds,
                i -> chain.last().run(batches.get(i), carried.get(i), Set.of()));
    }

    /** The images as consecutive full batches, at most {@code limit} of them. */
    static List<List<Image>> batches(List<Image> images, int batch, int limit) {
        List<List<Image>> batches = new ArrayList<>();
        for (int start = 0; start + batch <= images.size() && batches.size() < limit; start += batch) {
            batches.add(images.subList(start, start + batch));
        }
        return batches;
    }

    /** Milliseconds per call of {@code runBatch} (given the batch's index, cycling over {@code batches}), over about {@code seconds} after a warm-up. */
    static double[] latencies(String label, int batches, double seconds, IntConsumer runBatch) {
        long warmUntil = System.nanoTime() + (long) (0.5e9);
        for (int i = 0; System.nanoTime() < warmUntil; i++) {
            runBatch.accept(i % batches);
        }
        List<Double> millis = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        try (ProgressBar bar = ProgressBars.bar(label, (long) (seconds * 10), "x0.1s")) {
            long lastTick = System.nanoTime();
            for (int i = 0; System.nanoTime() < end; i++) {
                long t0 = System.nanoTime();
                runBatch.accept(i % batches);
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
