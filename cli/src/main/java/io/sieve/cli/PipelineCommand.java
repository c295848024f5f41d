package io.sieve.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sieve.cascade.calibration.Budget;
import io.sieve.cascade.calibration.Calibrator;
import io.sieve.images.LabelledImages;
import io.sieve.cascade.calibration.ModelScores;
import io.sieve.cascade.model.ModelCard;
import io.sieve.cascade.model.ModelChain;
import io.sieve.images.Image;
import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.client.ClusterConfig;
import io.sieve.platform.EmbeddedPlatform;
import io.sieve.platform.PlatformConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = {"The end-to-end benchmark: the same labelled test frames through the expensive model alone, the cheap",
            "model alone and the cascade calibrated (on the validation split) at each --eps, each in-process and through",
            "Kafka on the embedded platform (started if it is not running), in one run. Reports frames per second, p50/p99",
            "capture-to-prediction latency at a fraction of the measured throughput, accuracy and expensive-model calls;",
            "writes pipeline.md, pipeline.json and two PNG plots to --out and the table into --report. Run it on a quiet machine."})
final class PipelineCommand implements Callable<Integer> {
    private static final String REPORT_START = "<!-- sieve bench pipeline: start -->";
    private static final String REPORT_END = "<!-- sieve bench pipeline: end -->";

    @Option(names = "--cascade", defaultValue = "${sys:sieve.home:-.}/models/cascades/default.cascade.json",
            description = "Cascade whose models (cheapest first) and confidence measure are benchmarked; thresholds are refitted per --eps (default: ${DEFAULT-VALUE}).")
    Path cascade;

    @Option(names = "--audit-rate", description = "Live audit share of the cascades' early-decided frames, labelled by the "
            + "expensive model too (in-process and through Kafka alike). Default: the cascade's audit_rate.")
    Double auditRate;

    @Option(names = "--eps", split = ",", defaultValue = "0.005,0.01,0.02",
            description = "Accuracy budgets to calibrate the cascade at (default: ${DEFAULT-VALUE}).")
    List<Double> eps;

    @Option(names = "--runs", defaultValue = "3", description = "Rounds over every configuration, interleaved so that the machine's "
            + "drift hits all alike; the report quotes medians with their range (default: ${DEFAULT-VALUE}).")
    int runs;

    static final int MIN_FRAMES = 5 * PipelineBenchmark.WARM_UP_FRAMES;

    @Option(names = "--frames", defaultValue = "30000", description = {"Frames per configuration (default: ${DEFAULT-VALUE}).",
        "More than the test data holds cycle through it again: the cheap model clears 10,000 frames through Kafka in well under "
            + "a second, a handful of transactions, too few for a rate that holds."})
    int frames;

    @Option(names = "--frames-per-record", defaultValue = "64",
            description = "Frames per Kafka record in the throughput phase, and the in-process batch (default: ${DEFAULT-VALUE}).")
    int framesPerRecord;

    @Option(names = "--latency-frames-per-record", defaultValue = "16",
            description = "Most frames per record in the latency phase (default: ${DEFAULT-VALUE}).")
    int latencyFramesPerRecord;

    @Option(names = "--latency-max-wait-ms", defaultValue = "10",
            description = "Longest a frame waits in the producer for its record to fill, latency phase (default: ${DEFAULT-VALUE}).")
    long latencyMaxWaitMs;

    @Option(names = "--latency-seconds", defaultValue = "10", description = "Length of the latency phase (default: ${DEFAULT-VALUE}).")
    double latencySeconds;

    @Option(names = "--latency-load", defaultValue = "0.5",
            description = "Send rate of the latency phase as a fraction of the measured Kafka throughput (default: ${DEFAULT-VALUE}).")
    double latencyLoad;

    @Option(names = "--cameras", defaultValue = "4",
            description = "Cameras the frames are split over (record keys, so partitions with work) (default: ${DEFAULT-VALUE}).")
    int cameras;

    @Option(names = "--stream-threads", defaultValue = "1", description = "Kafka Streams threads of the stream app (default: ${DEFAULT-VALUE}).")
    int streamThreads;

    @Option(names = "--kafka", split = ",", description = "Extra Kafka Streams settings for the stream app, e.g. commit.interval.ms=50.")
    Map<String, String> kafkaSettings;

    @Option(names = "--brokers", defaultValue = "1",
            description = "Brokers of the embedded platform the benchmark runs on (default: ${DEFAULT-VALUE}); with more than one, a "
                    + "cluster of its own under .sieve/bench-<n>-brokers on ports 19092 and up, topics replicated min(3, n) times.")
    int brokers;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the benchmark's topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--out", defaultValue = "${sys:sieve.home:-.}/docs/bench/pipeline", description = "Report folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--report", defaultValue = "${sys:sieve.home:-.}/BENCHMARKS.md",
            description = "Markdown file whose '" + REPORT_START + "' section gets the table; 'none' to skip (default: ${DEFAULT-VALUE}).")
    String report;

    @Mixin
    ModelOptions options;

    /** One benchmarked configuration: what runs, and both measurements of every round. */
    record Row(String key, String label, Path cascadeFile, List<PipelineBenchmark.InProcess> inProcess,
               List<PipelineBenchmark.ThroughKafka> kafka) {
        Row(String key, String label, Path cascadeFile) {
            this(key, label, cascadeFile, new ArrayList<>(), new ArrayList<>());
        }

        /** Round {@code r}'s Kafka throughput over its in-process throughput. */
        double kafkaShare(int r) {
            return kafka.get(r).framesPerSecond() / inProcess.get(r).framesPerSecond();
        }
    }

    /** The machine's one-minute load average before and after one round. */
    record Load(double before, double after) {
    }

    @Override
    public Integer call() throws Exception {
        if (runs < 1) {
            throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
        }
        if (frames < MIN_FRAMES) {
            // Warm-up and backlog share the partitions: a backlog not far longer than the warm-up is mostly read before the clock starts.
            throw new IllegalArgumentException("--frames must be at least " + MIN_FRAMES + " (" + MIN_FRAMES / PipelineBenchmark.WARM_UP_FRAMES
                    + "x the " + PipelineBenchmark.WARM_UP_FRAMES + " warm-up frames) for rates that hold, got " + frames);
        }
        CascadeDefinition definition = CascadeDefinition.read(cascade);
        if (definition.stages().size() < 2) {
            throw new IllegalArgumentException("cascade " + cascade + " has one stage; the benchmark compares a cascade with its models");
        }
        List<Path> cards = new ArrayList<>();
        for (int s = 0; s < definition.stages().size(); s++) {
            cards.add(definition.cardPath(cascade, s));
        }
        ModelOptions.LabelledData data = options.labelled(ModelCards.of(cards), EvaluateCommand.recordedData(definition));
        LabelledImages test = cycled(data.test(), frames);
        LabelledImages validation = data.calibration();
        Files.createDirectories(out.resolve("cascades"));

        List<ModelScores> scores = options.score(cards, validation);
        String cheap = scores.get(0).name();
        String expensive = scores.get(scores.size() - 1).name();
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("expensive", expensive + " alone", singleModel(expensive, cards.get(cards.size() - 1), definition)));
        rows.add(new Row("cheap", cheap + " alone", singleModel(cheap, cards.get(0), definition)));
        for (double e : eps) {
            String percent = Double.toString(100 * e).replaceAll("\\.0$", "");
            rows.add(new Row("eps-" + percent, "cascade, eps = " + percent + "%",
                    calibrated("eps-" + percent, e, scores, cards, validation.labels(), data.provenance(), definition)));
        }
        double modelLimit = modelStageLimit(cards.get(cards.size() - 1), test);

        PlatformConfig platformConfig = brokers == 1 ? PlatformConfig.defaults(SieveHome.path())
                : new PlatformConfig(SieveHome.path().resolve(".sieve/bench-" + brokers + "-brokers"), PlatformConfig.LOOPBACK, 19092, 19093,
                        18081, PlatformConfig.defaultRegistryRunner(SieveHome.path()), brokers);
        EmbeddedPlatform platform = new EmbeddedPlatform(platformConfig);
        List<Load> loads = new ArrayList<>();
        boolean startedPlatform = false;
        if (!platform.status().stream().allMatch(EmbeddedPlatform.ComponentStatus::answering)) {
            System.out.println("Starting Kafka and the schema registry ...");
            platform.start(false);
            startedPlatform = true;
        }
        try {
            String runId = Long.toString(Instant.now().getEpochSecond());
            Path stateDir = Files.createTempDirectory("sieve-bench-state");
            var settings = new PipelineBenchmark.Settings(framesPerRecord, latencyFramesPerRecord,
                    java.time.Duration.ofMillis(latencyMaxWaitMs), latencySeconds, latencyLoad, options.threads, streamThreads, cameras, partitions, stateDir);
            ClusterConfig cluster = platformConfig.cluster();
            for (var setting : kafkaSettings == null ? Map.<String, String>of().entrySet() : kafkaSettings.entrySet()) {
                cluster = cluster.withClientProperty(setting.getKey(), setting.getValue());
            }
            for (int round = 0; round < runs; round++) {
                // Each round has its own topics and application ids: no round reads another's frames or state.
                PipelineBenchmark bench = new PipelineBenchmark(cluster, settings, runId + "-" + (round + 1));
                double before = loadAverage();
                for (Row row : rows) {
                    String what = row.label() + (runs > 1 ? " (round " + (round + 1) + "/" + runs + ")" : "");
                    PipelineBenchmark.InProcess local;
                    try (ProgressBar bar = ProgressBars.bar(what + ", in-process", test.size(), "frames")) {
                        local = bench.inProcess(row.cascadeFile(), test, expensive, bar::stepBy);
                    }
                    PipelineBenchmark.ThroughKafka kafka;
                    try (ProgressBar bar = ProgressBars.bar(what + ", through Kafka", test.size(), "frames")) {
                        kafka = bench.throughKafka(row.key(), row.cascadeFile(), test, expensive, bar::stepBy);
                    }
                    row.inProcess().add(local);
                    row.kafka().add(kafka);
                    System.out.printf(Locale.ROOT, "%-40s in-process %7.0f frames/s, Kafka %7.0f frames/s (%.0f%%), p50 %.0f ms, p99 %.0f ms"
                                    + " (to the decision: p50 %.0f, p99 %.0f ms; stream thread busy %.0f%% at that load)%n",
                            what, local.framesPerSecond(), kafka.framesPerSecond(), 100 * kafka.framesPerSecond() / local.framesPerSecond(),
                            kafka.p50Millis(), kafka.p99Millis(), kafka.decisionP50Millis(), kafka.decisionP99Millis(), 100 * kafka.threadBusy());
                }
                loads.add(new Load(before, loadAverage()));
                System.out.printf(Locale.ROOT, "round %d/%d: load average %.2f before, %.2f after%n", round + 1, runs, before,
                        loads.get(round).after());
            }
        } finally {
            if (startedPlatform) {
                platform.stop();
            }
        }
        String table = markdown(rows, loads, expensive, modelLimit, test.size(), data.test().size());
        System.out.println();
        System.out.println(table);
        write(rows, loads, table, modelLimit);
        return 0;
    }

    /** Puts {@code table} between the markers in the Markdown file (at its end when they are not there yet). */
    static void replaceSection(Path reportFile, String startMarker, String endMarker, String table) throws IOException {
        String text = Files.isRegularFile(reportFile) ? Files.readString(reportFile) : "";
        int start = text.indexOf(startMarker);
        int end = text.indexOf(endMarker);
        String section = startMarker + "\n" + table + "\n" + endMarker;
        text = start >= 0 && end > start ? text.substring(0, start) + section + text.substring(end + endMarker.length())
                : text + (text.isEmpty() ? "" : "\n") + section + "\n";
        Files.writeString(reportFile, text);
    }

    /** The first {@code count} frames of {@code frames} repeated as often as needed. */
    static LabelledImages cycled(LabelledImages frames, int count) {
        LabelledImages cycled = frames;
        while (cycled.size() < count) {
            cycled = cycled.plus(frames);
        }
        return cycled.first(count);
    }

    /** The one-minute load average (all processes of the machine), or NaN where the platform does not tell. */
    static double loadAverage() {
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return load < 0 ? Double.NaN : load;
    }

    /** The median of the values (the mean of the middle two for an even count). */
    static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** "median [lowest-highest]" of the values in {@code format}, or the one value for a single round. */
    static String medianRange(double[] values, String format) {
        if (values.length == 1) {
            return String.format(Locale.ROOT, format, values[0]);
        }
        double low = java.util.Arrays.stream(values).min().orElseThrow();
        double high = java.util.Arrays.stream(values).max().orElseThrow();
        return String.format(Locale.ROOT, format + " [" + format + "-" + format + "]", median(values), low, high);
    }

    private static double[] of(Row row, java.util.function.IntToDoubleFunction perRound) {
        return java.util.stream.IntStream.range(0, row.kafka().size()).mapToDouble(perRound).toArray();
    }

    private Path singleModel(String name, Path card, CascadeDefinition template) throws IOException {
        return singleModel(out.resolve("cascades/" + name + "-alone.cascade.json"), name, card, template);
    }

    /** Writes {@code file}: a cascade of one stage, the model of {@code card}, which decides every frame. */
    static Path singleModel(Path file, String name, Path card, CascadeDefinition template) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        String relative = file.toAbsolutePath().getParent().relativize(card.toAbsolutePath()).toString();
        var stage = new CascadeDefinition.StageDefinition(relative, template.stages().get(0).measure(), null, null, null, null, null, null);
        new CascadeDefinition(name + "-alone", List.of(stage), null, null).write(file);
        return file;
    }

    private Path calibrated(String key, double budget, List<ModelScores> scores, List<Path> cards, int[] validationLabels,
                            java.util.Map<String, Object> provenance, CascadeDefinition template) throws IOException {
        Path file = out.resolve("cascades/" + key + ".cascade.json");
        double level = template.confidenceLevel();
        var request = new Calibrator.Request(Budget.maxLoss(budget), level, template.stages().get(0).measure(), false,
                Calibrator.CostUnit.MS, 100, EvaluateCommand.recordedGuarantee(template));
        Calibrator.Result result = Calibrator.calibrate(template.name() + "-" + key, scores, cards, file,
                validationLabels, provenance, request);
        result.definition().withAuditRate(auditRate != null ? QueryLifecycleCommand.validAuditRate(auditRate)
                : template.effectiveAuditRate()).write(file);
        return file;
    }

    /**
     * Frames per second of the expensive model stage alone (with the models it continues) on batches
     * of --frames-per-record: the ceiling for its pipeline.
     */
    private double modelStageLimit(Path card, LabelledImages test) {
        try (ModelChain chain = ModelChain.load(ModelCard.read(card), options.threads)) {
            List<List<Image>> batches = BenchCommand.batches(test.images(), framesPerRecord, Integer.MAX_VALUE);
            double[] millis = BenchCommand.latencies(chain.last().name() + " batch " + framesPerRecord, batches.size(), 5,
                    i -> chain.predict(batches.get(i)));
            return framesPerRecord / (java.util.Arrays.stream(millis).average().orElseThrow() / 1000);
        }
    }

    private String markdown(List<Row> rows, List<Load> loads, String expensive, double modelLimit, int n, int testFrames) {
        Row expensiveRow = rows.get(0);
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "%d round(s) over every configuration, interleaved; %s: median [lowest-highest] of the rounds. "
                        + "Load average (1 min) before and after each round: %s.%n%n", runs, runs > 1 ? "figures" : "one round, so single values",
                String.join("; ", loads.stream().map(l -> String.format(Locale.ROOT, "%.2f-%.2f", l.before(), l.after())).toList())));
        md.append(String.format(Locale.ROOT, "%d frames per configuration (%s); %d frames per record (and per in-process batch); "
                        + "the cascade's live audit in-process and through Kafka alike; "
                        + "%d ONNX Runtime intra-op thread(s); %d camera(s) on %d partitions, %d Kafka Streams thread(s); latency at %.0f%% of each configuration's Kafka throughput for %.0f s, "
                        + "records of at most %d frames or %d ms; Kafka Streams settings: %s. %s machine: %d processors.%n%n",
                n, n > testFrames ? String.format(Locale.ROOT, "the %,d test frames, cycled", testFrames) : "test frames",
                framesPerRecord, options.threads, cameras, partitions, streamThreads, 100 * latencyLoad, latencySeconds, latencyFramesPerRecord, latencyMaxWaitMs,
                kafkaSettings == null || kafkaSettings.isEmpty() ? "the app's defaults" : kafkaSettings, System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors()));
        md.append("| configuration | accuracy | ").append(expensive).append(" calls | of them audits | in-process (frames/s) | Kafka (frames/s) | "
                + "Kafka / in-process | speedup vs ").append(expensive).append(" (Kafka) | p50 latency (ms) | p99 latency (ms) |\n");
        md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Row row : rows) {
            md.append(String.format(Locale.ROOT, "| %s | %.2f%% | %,.0f | %,.0f | %s | %s | %s | %s | %s | %s |%n", row.label(),
                    100 * median(of(row, r -> row.kafka().get(r).accuracy())), median(of(row, r -> row.kafka().get(r).expensiveCalls())),
                    median(of(row, r -> row.kafka().get(r).auditCalls())),
                    medianRange(of(row, r -> row.inProcess().get(r).framesPerSecond()), "%,.0f"),
                    medianRange(of(row, r -> row.kafka().get(r).framesPerSecond()), "%,.0f"),
                    medianRange(of(row, r -> 100 * row.kafkaShare(r)), "%.0f%%"),
                    medianRange(of(row, r -> row.kafka().get(r).framesPerSecond() / expensiveRow.kafka().get(r).framesPerSecond()), "%.2fx"),
                    medianRange(of(row, r -> row.kafka().get(r).p50Millis()), "%.0f"),
                    medianRange(of(row, r -> row.kafka().get(r).p99Millis()), "%.0f")));
        }
        md.append(String.format(Locale.ROOT, "%n%s model stage alone, batches of %d: %,.0f frames/s; the %s-only pipeline reaches %s of it.%n",
                expensive, framesPerRecord, modelLimit, expensive,
                medianRange(of(expensiveRow, r -> 100 * expensiveRow.kafka().get(r).framesPerSecond() / modelLimit), "%.0f%%")));
        return md.toString();
    }

    private void write(List<Row> rows, List<Load> loads, String table, double modelLimit) throws IOException {
        Files.writeString(out.resolve("pipeline.md"), "# `./sieve bench pipeline`\n\n" + table);
        List<Map<String, Object>> json = new ArrayList<>();
        for (Row row : rows) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("configuration", row.label());
            entry.put("cascade", out.relativize(row.cascadeFile()).toString());
            entry.put("in_process_rounds", row.inProcess());
            entry.put("kafka_rounds", row.kafka());
            json.add(entry);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("pipeline.json").toFile(),
                Map.of("model_stage_limit_fps", modelLimit, "frames_per_record", framesPerRecord, "rounds", runs, "load_averages", loads,
                        "rows", json));

        List<String> labels = rows.stream().map(Row::label).toList();
        CategoryChart throughput = new CategoryChartBuilder().width(900).height(450)
                .title("Frames per second, median of " + runs + " round(s) (higher is better)")
                .yAxisTitle("frames/s").build();
        throughput.getStyler().setXAxisLabelRotation(15);
        throughput.addSeries("in-process", labels, rows.stream().map(r -> (Number) median(of(r, k -> r.inProcess().get(k).framesPerSecond()))).toList());
        throughput.addSeries("through Kafka", labels, rows.stream().map(r -> (Number) median(of(r, k -> r.kafka().get(k).framesPerSecond()))).toList());
        BitmapEncoder.saveBitmap(throughput, out.resolve("throughput.png").toString(), BitmapEncoder.BitmapFormat.PNG);
        CategoryChart latency = new CategoryChartBuilder().width(900).height(450)
                .title(String.format(Locale.ROOT, "Capture-to-prediction latency at %.0f%% load (ms), median of %d round(s)", 100 * latencyLoad, runs))
                .yAxisTitle("ms").build();
        latency.getStyler().setXAxisLabelRotation(15);
        latency.addSeries("p50", labels, rows.stream().map(r -> (Number) median(of(r, k -> r.kafka().get(k).p50Millis()))).toList());
        latency.addSeries("p99", labels, rows.stream().map(r -> (Number) median(of(r, k -> r.kafka().get(k).p99Millis()))).toList());
        BitmapEncoder.saveBitmap(latency, out.resolve("latency.png").toString(), BitmapEncoder.BitmapFormat.PNG);
        System.out.println("Wrote " + out.resolve("pipeline.md") + ", pipeline.json, throughput.png and latency.png");

        if (!"none".equals(report)) {
            Path reportFile = Path.of(report);
            replaceSection(reportFile, REPORT_START, REPORT_END, table);
            System.out.println("Updated " + reportFile);
        }
    }
}
