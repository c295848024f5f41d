package io.sieve.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sieve.cascade.calibration.Budget;
import io.sieve.cascade.calibration.Calibrator;
import io.sieve.images.LabelledImages;
import io.sieve.cascade.calibration.ModelScores;
import io.sieve.cascade.model.OnnxClassifier;
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
            + "expensive model too (through Kafka only; in-process runs no audit). Default: the cascade's audit_rate.")
    Double auditRate;

    @Option(names = "--eps", split = ",", defaultValue = "0.005,0.01,0.02",
            description = "Accuracy budgets to calibrate the cascade at (default: ${DEFAULT-VALUE}).")
    List<Double> eps;

    @Option(names = "--frames", defaultValue = "10000", description = "Test frames per configuration (default: ${DEFAULT-VALUE}).")
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

    /** One benchmarked configuration: what runs, and both measurements. */
    record Row(String key, String label, Path cascadeFile, PipelineBenchmark.InProcess inProcess, PipelineBenchmark.ThroughKafka kafka) {
    }

    @Override
    public Integer call() throws Exception {
        if (frames < 1000) {
            throw new IllegalArgumentException("--frames must be at least 1000 for stable rates, got " + frames);
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
        LabelledImages test = data.test().first(frames);
        LabelledImages validation = data.calibration();
        Files.createDirectories(out.resolve("cascades"));

        List<ModelScores> scores = options.score(cards, validation);
        String cheap = scores.get(0).name();
        String expensive = scores.get(scores.size() - 1).name();
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("expensive", expensive + " alone", singleModel(expensive, cards.get(cards.size() - 1), definition), null, null));
        rows.add(new Row("cheap", cheap + " alone", singleModel(cheap, cards.get(0), definition), null, null));
        for (double e : eps) {
            String percent = Double.toString(100 * e).replaceAll("\\.0$", "");
            rows.add(new Row("eps-" + percent, "cascade, eps = " + percent + "%",
                    calibrated("eps-" + percent, e, scores, cards, validation.labels(), data.provenance(), definition), null, null));
        }
        double modelLimit = modelStageLimit(cards.get(cards.size() - 1), test);

        PlatformConfig platformConfig = brokers == 1 ? PlatformConfig.defaults(SieveHome.path())
                : new PlatformConfig(SieveHome.path().resolve(".sieve/bench-" + brokers + "-brokers"), PlatformConfig.LOOPBACK, 19092, 19093,
                        18081, PlatformConfig.defaultRegistryRunner(SieveHome.path()), brokers);
        EmbeddedPlatform platform = new EmbeddedPlatform(platformConfig);
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
            PipelineBenchmark bench = new PipelineBenchmark(cluster, settings, runId);
            for (int i = 0; i < rows.size(); i++) {
                Row row = rows.get(i);
                PipelineBenchmark.InProcess local;
                try (ProgressBar bar = ProgressBars.bar(row.label() + ", in-process", test.size(), "frames")) {
                    local = bench.inProcess(row.cascadeFile(), test, expensive, bar::stepBy);
                }
                PipelineBenchmark.ThroughKafka kafka;
                try (ProgressBar bar = ProgressBars.bar(row.label() + ", through Kafka", test.size(), "frames")) {
                    kafka = bench.throughKafka(row.key(), row.cascadeFile(), test, expensive, bar::stepBy);
                }
                rows.set(i, new Row(row.key(), row.label(), row.cascadeFile(), local, kafka));
                System.out.printf(Locale.ROOT, "%-24s in-process %7.0f frames/s, Kafka %7.0f frames/s (%.0f%%), p50 %.0f ms, p99 %.0f ms"
                                + " (to the decision: p50 %.0f, p99 %.0f ms; stream thread busy %.0f%% at that load)%n",
                        row.label(), local.framesPerSecond(), kafka.framesPerSecond(), 100 * kafka.framesPerSecond() / local.framesPerSecond(),
                        kafka.p50Millis(), kafka.p99Millis(), kafka.decisionP50Millis(), kafka.decisionP99Millis(), 100 * kafka.threadBusy());
            }
        } finally {
            if (startedPlatform) {
                platform.stop();
            }
        }
        String table = markdown(rows, expensive, modelLimit, test.size());
        System.out.println();
        System.out.println(table);
        write(rows, table, modelLimit);
        return 0;
    }

    private Path singleModel(String name, Path card, CascadeDefinition template) throws IOException {
        Path file = out.resolve("cascades/" + name + "-alone.cascade.json");
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

    /** Frames per second of the expensive model stage alone on batches of --frames-per-record: the ceiling for its pipeline. */
    private double modelStageLimit(Path card, LabelledImages test) {
        try (OnnxClassifier stage = OnnxClassifier.load(card, options.threads)) {
            double[] millis = BenchCommand.latencies(stage, test.images(), framesPerRecord, 5);
            return framesPerRecord / (java.util.Arrays.stream(millis).average().orElseThrow() / 1000);
        }
    }

    private String markdown(List<Row> rows, String expensive, double modelLimit, int n) {
        Row expensiveRow = rows.get(0);
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "%d test frames per configuration; %d frames per record (and per in-process batch); "
                        + "%d ONNX Runtime intra-op thread(s); %d camera(s) on %d partitions, %d Kafka Streams thread(s); latency at %.0f%% of each configuration's Kafka throughput for %.0f s, "
                        + "records of at most %d frames or %d ms; Kafka Streams settings: %s. %s machine: %d processors.%n%n",
                n, framesPerRecord, options.threads, cameras, partitions, streamThreads, 100 * latencyLoad, latencySeconds, latencyFramesPerRecord, latencyMaxWaitMs,
                kafkaSettings == null || kafkaSettings.isEmpty() ? "the app's defaults" : kafkaSettings, System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors()));
        md.append("| configuration | accuracy | ").append(expensive).append(" calls | of them audits | in-process (frames/s) | Kafka (frames/s) | "
                + "Kafka / in-process | speedup vs ").append(expensive).append(" (Kafka) | p50 latency (ms) | p99 latency (ms) |\n");
        md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Row row : rows) {
            md.append(String.format(Locale.ROOT, "| %s | %.2f%% | %,d | %,d | %,.0f | %,.0f | %.0f%% | %.2fx | %.0f | %.0f |%n", row.label(),
                    100 * row.kafka().accuracy(), row.kafka().expensiveCalls(), row.kafka().auditCalls(), row.inProcess().framesPerSecond(),
                    row.kafka().framesPerSecond(), 100 * row.kafka().framesPerSecond() / row.inProcess().framesPerSecond(),
                    row.kafka().framesPerSecond() / expensiveRow.kafka().framesPerSecond(), row.kafka().p50Millis(), row.kafka().p99Millis()));
        }
        md.append(String.format(Locale.ROOT, "%n%s model stage alone, batches of %d: %,.0f frames/s; the %s-only pipeline reaches %.0f%% of it.%n",
                expensive, framesPerRecord, modelLimit, expensive, 100 * expensiveRow.kafka().framesPerSecond() / modelLimit));
        return md.toString();
    }

    private void write(List<Row> rows, String table, double modelLimit) throws IOException {
        Files.writeString(out.resolve("pipeline.md"), "# `./sieve bench pipeline`\n\n" + table);
        List<Map<String, Object>> json = new ArrayList<>();
        for (Row row : rows) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("configuration", row.label());
            entry.put("cascade", out.relativize(row.cascadeFile()).toString());
            entry.put("in_process", row.inProcess());
            entry.put("kafka", row.kafka());
            json.add(entry);
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("pipeline.json").toFile(),
                Map.of("model_stage_limit_fps", modelLimit, "frames_per_record", framesPerRecord, "rows", json));

        List<String> labels = rows.stream().map(Row::label).toList();
        CategoryChart throughput = new CategoryChartBuilder().width(900).height(450).title("Frames per second (higher is better)")
                .yAxisTitle("frames/s").build();
        throughput.getStyler().setXAxisLabelRotation(15);
        throughput.addSeries("in-process", labels, rows.stream().map(r -> (Number) r.inProcess().framesPerSecond()).toList());
        throughput.addSeries("through Kafka", labels, rows.stream().map(r -> (Number) r.kafka().framesPerSecond()).toList());
        BitmapEncoder.saveBitmap(throughput, out.resolve("throughput.png").toString(), BitmapEncoder.BitmapFormat.PNG);
        CategoryChart latency = new CategoryChartBuilder().width(900).height(450)
                .title(String.format(Locale.ROOT, "Capture-to-prediction latency at %.0f%% load (ms)", 100 * latencyLoad)).yAxisTitle("ms").build();
        latency.getStyler().setXAxisLabelRotation(15);
        latency.addSeries("p50", labels, rows.stream().map(r -> (Number) r.kafka().p50Millis()).toList());
        latency.addSeries("p99", labels, rows.stream().map(r -> (Number) r.kafka().p99Millis()).toList());
        BitmapEncoder.saveBitmap(latency, out.resolve("latency.png").toString(), BitmapEncoder.BitmapFormat.PNG);
        System.out.println("Wrote " + out.resolve("pipeline.md") + ", pipeline.json, throughput.png and latency.png");

        if (!"none".equals(report)) {
            Path reportFile = Path.of(report);
            String text = Files.isRegularFile(reportFile) ? Files.readString(reportFile) : "";
            int start = text.indexOf(REPORT_START);
            int end = text.indexOf(REPORT_END);
            String section = REPORT_START + "\n" + table + "\n" + REPORT_END;
            text = start >= 0 && end > start ? text.substring(0, start) + section + text.substring(end + REPORT_END.length())
                    : text + (text.isEmpty() ? "" : "\n") + section + "\n";
            Files.writeString(reportFile, text);
            System.out.println("Updated " + reportFile);
        }
    }
}
