package io.sieve.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.cascade.model.ModelCard;
import io.sieve.client.ClusterConfig;
import io.sieve.client.Topics;
import io.sieve.images.LabelledImages;
import io.sieve.platform.EmbeddedPlatform;
import io.sieve.platform.PlatformConfig;
import io.sieve.producer.FramePublisher;
import io.sieve.producer.ProducerRun;
import io.sieve.producer.SceneSource;
import io.sieve.schemas.Prediction;
import io.sieve.stream.SieveStreamApp;
import io.sieve.stream.StreamAppConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "cameras", mixinStandardHelpOptions = true,
        description = {"How many live cameras one Sieve instance follows: scene cameras at --fps each are added step by step (each",
            "step --growth times the last) until the p99 capture-to-prediction latency of a step passes --latency-limit-ms or",
            "the predictions fall more than a second of frames behind; for the cascade and the expensive model alone, each with",
            "and without the difference filter, in --runs interleaved rounds (medians with their range). Writes a table, JSON and",
            "a plot; the table goes into BENCHMARKS.md."})
final class CamerasCommand implements Callable<Integer> {
    private static final String REPORT_START = "<!-- sieve bench cameras: start -->";
    private static final String REPORT_END = "<!-- sieve bench cameras: end -->";

    @Option(names = "--cascade", defaultValue = "${sys:sieve.home:-.}/models/cascades/default.cascade.json",
            description = "The cascade (default: ${DEFAULT-VALUE}); its last stage is the expensive model.")
    Path cascade;

    @Option(names = "--scene", defaultValue = "test", paramLabel = "OBJECTS",
            description = "What the scene cameras show: 'test' (CIFAR-10's test batch) or a folder DIR/<class>/*.png (default: ${DEFAULT-VALUE}).")
    String scene;

    @Option(names = "--fps", defaultValue = "12.5", description = "Frames per second of each camera (default: ${DEFAULT-VALUE}).")
    double fps;

    @Option(names = "--start", defaultValue = "16", description = "Cameras of the first step (default: ${DEFAULT-VALUE}).")
    int start;

    @Option(names = "--growth", defaultValue = "1.25", description = "Each step's cameras as a multiple of the last (at least one more) "
            + "(default: ${DEFAULT-VALUE}).")
    double growth;

    @Option(names = "--max-cameras", defaultValue = "2000", description = "Stop adding cameras here (default: ${DEFAULT-VALUE}).")
    int maxCameras;

    @Option(names = "--step-seconds", defaultValue = "12", description = "How long each step runs (default: ${DEFAULT-VALUE}).")
    double stepSeconds;

    @Option(names = "--settle-seconds", defaultValue = "4",
            description = "Latencies of a step's first seconds, while its new cameras start, are not counted (default: ${DEFAULT-VALUE}).")
    double settleSeconds;

    @Option(names = "--latency-limit-ms", defaultValue = "1000", description = "The p99 a step may reach (default: ${DEFAULT-VALUE}).")
    double latencyLimitMs;

    @Option(names = "--filter-threshold", defaultValue = "20",
            description = "The difference filter's threshold where it is on (default: ${DEFAULT-VALUE}, chosen by ./sieve filter --scene test).")
    double filterThreshold;

    @Option(names = "--runs", defaultValue = "3", description = "Interleaved rounds of every configuration (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--out", defaultValue = "${sys:sieve.home:-.}/docs/bench/cameras", description = "Report folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--report", defaultValue = "${sys:sieve.home:-.}/BENCHMARKS.md",
            description = "Markdown file whose '" + REPORT_START + "' section gets the table; 'none' to skip (default: ${DEFAULT-VALUE}).")
    String report;

    /** One step of a ramp: its cameras, frames sent and predictions read by its end, and its p99 after the settling seconds. */
    record Step(int cameras, long sent, long read, int latencies, double p99Millis, boolean kept) {
    }

    /** One configuration's ramp in one round: its steps, and the cameras of the last step it kept up with (0: not even the first). */
    record Ramp(List<Step> steps, int capacity) {
    }

    record Configuration(String label, Path cascadeFile, double filterThreshold, List<Ramp> ramps) {
    }

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || start < 1 || !(growth >= 1) || !(fps > 0) || !(stepSeconds > settleSeconds) || settleSeconds < 0) {
            throw new IllegalArgumentException("need --runs >= 1, --start >= 1, --growth >= 1, --fps > 0 and --step-seconds > --settle-seconds >= 0");
        }
        ModelCards cards = ModelCards.ofCascade(cascade);
        FrameSize size = cards.frameSize();
        LabelledImages objects = ProduceCommand.sceneObjects(scene, cards, size, cascade);
        CascadeDefinition definition = CascadeDefinition.read(cascade);
        int last = definition.stages().size() - 1;
        Path expensiveCard = definition.cardPath(cascade, last);
        String expensive = ModelCard.read(expensiveCard).name();
        Path alone = PipelineCommand.singleModel(out.resolve("cascades/" + expensive + "-alone.cascade.json"), expensive, expensiveCard, definition);
        String filtered = String.format(Locale.ROOT, " + filter %.0f", filterThreshold);
        List<Configuration> configurations = List.of(
                new Configuration("cascade " + definition.name(), cascade, 0, new ArrayList<>()),
                new Configuration("cascade " + definition.name() + filtered, cascade, filterThreshold, new ArrayList<>()),
                new Configuration(expensive + " alone", alone, 0, new ArrayList<>()),
                new Configuration(expensive + " alone" + filtered, alone, filterThreshold, new ArrayList<>()));

        PlatformConfig platformConfig = PlatformConfig.defaults(SieveHome.path());
        EmbeddedPlatform platform = new EmbeddedPlatform(platformConfig);
        boolean startedPlatform = false;
        if (!platform.status().stream().allMatch(EmbeddedPlatform.ComponentStatus::answering)) {
            System.out.println("Starting Kafka and the schema registry ...");
            platform.start(false);
            startedPlatform = true;
        }
        List<PipelineCommand.Load> loads = new ArrayList<>();
        try {
            String runId = Long.toString(Instant.now().getEpochSecond());
            Path stateDir = Files.createTempDirectory("sieve-bench-cameras");
            for (int round = 0; round < runs; round++) {
                double before = PipelineCommand.loadAverage();
                for (int c = 0; c < configurations.size(); c++) {
                    Configuration configuration = configurations.get(c);
                    System.out.printf(Locale.ROOT, "%s (round %d/%d):%n", configuration.label(), round + 1, runs);
                    String prefix = "cameras-" + runId + "-" + (round + 1) + "-" + c + "-";
                    configuration.ramps().add(ramp(platformConfig.cluster(), prefix, configuration, objects, size, round + 1, stateDir));
                }
                loads.add(new PipelineCommand.Load(before, PipelineCommand.loadAverage()));
                System.out.printf(Locale.ROOT, "round %d/%d: load average %.2f before, %.2f after%n", round + 1, runs, before,
                        loads.get(round).after());
            }
        } finally {
            if (startedPlatform) {
                platform.stop();
            }
        }
        String table = markdown(configurations, loads);
        System.out.println();
        System.out.println(table);
        write(configurations, loads, table);
        return 0;
    }

    /** Adds cameras step by step on a stream app of its own until a step misses the latency limit or falls behind. */
    private Ramp ramp(ClusterConfig cluster, String prefix, Configuration configuration, LabelledImages objects, FrameSize size, long seed,
                      Path stateDir) throws Exception {
        ClusterConfig appCluster = cluster.withSetting("topic.prefix", prefix).withSetting("application.id", prefix + "app")
                .withSetting("metrics.port", "0").withSetting("filter.threshold", Double.toString(configuration.filterThreshold()))
                .withSetting("state.dir", stateDir.resolve(prefix).toString());
        StreamAppConfig config = StreamAppConfig.from(appCluster, SieveHome.path());
        Topics topics = new Topics(prefix, cluster.registryUrl());
        List<Step> steps = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong sent = new AtomicLong();
        List<Thread> producers = new ArrayList<>();
        int capacity = 0;
        try (SieveStreamApp app = SieveStreamApp.start(configuration.cascadeFile(), appCluster, config, Duration.ofSeconds(120));
             LatencyReader reader = new LatencyReader(cluster, topics)) {
            int cameras = 0;
            int target = Math.min(start, maxCameras);
            while (target > cameras) {
                List<SceneSource> added = new ArrayList<>();
                for (int i = cameras; i < target; i++) {
                    added.add(new SceneSource("camera-" + (i + 1), objects, size.width(), size.height(), fps, seed, 0));
                }
                Thread producer = new Thread(() -> {
                    try (FramePublisher publisher = new FramePublisher(cluster, topics.frames(0).name(), ProduceCommand.DEFAULT_BATCH,
                            ProduceCommand.MAX_RECORD_WAIT)) {
                        ProducerRun.run(added, publisher, fps, null, stop, n -> sent.incrementAndGet());
                    }
                }, "bench-cameras-" + target);
                producer.setDaemon(true);
                producer.start();
                producers.add(producer);
                cameras = target;
                long stepStart = System.currentTimeMillis();
                Thread.sleep((long) (stepSeconds * 1000));
                double[] latencies = reader.latenciesReadSince(stepStart + (long) (settleSeconds * 1000));
                long sentByNow = sent.get();
                long readByNow = reader.read();
                long behind = sentByNow - readByNow;
                double p99 = latencies.length == 0 ? Double.POSITIVE_INFINITY : BenchCommand.percentile(latencies, 99);
                boolean kept = p99 <= latencyLimitMs && behind <= fps * cameras;
                steps.add(new Step(cameras, sentByNow, readByNow, latencies.length, p99, kept));
                System.out.printf(Locale.ROOT, "  %4d cameras (%,6.0f frames/s): p99 %6.0f ms over %,d predictions, %,d frames behind%s%n", cameras,
                        cameras * fps, p99, latencies.length, behind, kept ? "" : ": the limit");
                if (!kept) {
                    break;
                }
                capacity = cameras;
                target = Math.min(maxCameras, Math.max(cameras + 1, (int) Math.round(cameras * growth)));
            }
        } finally {
            stop.set(true);
            for (Thread producer : producers) {
                producer.join(10_000);
            }
        }
        return new Ramp(steps, capacity);
    }

    private String markdown(List<Configuration> configurations, List<PipelineCommand.Load> loads) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Scene cameras (%s objects) at %.1f frames/s each, added %.2fx per %.0f s step from %d; a step keeps "
                        + "up while its p99 capture-to-prediction latency (after its first %.0f s) is at most %.0f ms and the predictions are "
                        + "less than a second of frames behind. %d round(s), interleaved; load average before/after each: %s. "
                        + "The cameras' producers run on the same machine (records of up to %d frames or %d ms, as `./sieve produce` sends "
                        + "them). %d processors.%n%n", scene, fps, growth, stepSeconds, start,
                settleSeconds, latencyLimitMs, runs,
                String.join(", ", loads.stream().map(l -> String.format(Locale.ROOT, "%.1f/%.1f", l.before(), l.after())).toList()),
                ProduceCommand.DEFAULT_BATCH, ProduceCommand.MAX_RECORD_WAIT.toMillis(), Runtime.getRuntime().availableProcessors()));
        md.append("| configuration | cameras followed | frames/s | p99 at that step (ms) |\n| --- | ---: | ---: | ---: |\n");
        for (Configuration c : configurations) {
            double[] capacities = c.ramps().stream().mapToDouble(Ramp::capacity).toArray();
            double[] p99s = c.ramps().stream().mapToDouble(r -> r.steps().stream().filter(s -> s.cameras() == r.capacity())
                    .mapToDouble(Step::p99Millis).findFirst().orElse(Double.NaN)).toArray();
            double[] rates = c.ramps().stream().mapToDouble(r -> r.capacity() * fps).toArray();
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |%n", c.label(), PipelineCommand.medianRange(capacities, "%.0f"),
                    PipelineCommand.medianRange(rates, "%,.0f"), PipelineCommand.medianRange(p99s, "%.0f")));
        }
        return md.toString();
    }

    private void write(List<Configuration> configurations, List<PipelineCommand.Load> loads, String table) throws Exception {
        Files.createDirectories(out);
        Files.writeString(out.resolve("cameras.md"), "# `./sieve bench cameras`\n\n" + table);
        List<Map<String, Object>> json = new ArrayList<>();
        XYChart chart = new XYChartBuilder().width(900).height(450).title("p99 capture-to-prediction latency as cameras are added (round 1)")
                .xAxisTitle("cameras at " + fps + " frames/s").yAxisTitle("p99 (ms)").build();
        chart.getStyler().setYAxisLogarithmic(true);
        for (Configuration c : configurations) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("configuration", c.label());
            entry.put("filter_threshold", c.filterThreshold());
            entry.put("rounds", c.ramps());
            json.add(entry);
            List<Step> steps = c.ramps().get(0).steps().stream().filter(s -> Double.isFinite(s.p99Millis()) && s.p99Millis() > 0).toList();
            if (!steps.isEmpty()) {
                chart.addSeries(c.label(), steps.stream().map(s -> (Number) s.cameras()).toList(),
                        steps.stream().map(s -> (Number) s.p99Millis()).toList());
            }
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("cameras.json").toFile(),
                Map.of("fps", fps, "latency_limit_ms", latencyLimitMs, "rounds", runs, "load_averages", loads, "configurations", json));
        BitmapEncoder.saveBitmap(chart, out.resolve("cameras.png").toString(), BitmapEncoder.BitmapFormat.PNG);
        System.out.println("Wrote " + out.resolve("cameras.md") + ", cameras.json and cameras.png");
        if (!"none".equals(report)) {
            PipelineCommand.replaceSection(Path.of(report), REPORT_START, REPORT_END, table);
            System.out.println("Updated " + report);
        }
    }

    /** Reads the predictions as they become visible (read_committed) on a thread of its own, keeping each one's latency and read time. */
    private static final class LatencyReader implements AutoCloseable {
        private record Read(long atMillis, double latencyMillis) {
        }

        private final ConcurrentLinkedQueue<Read> reads = new ConcurrentLinkedQueue<>();
        private final AtomicLong read = new AtomicLong();
        private final AtomicBoolean closed = new AtomicBoolean();
        private final Thread thread;

        LatencyReader(ClusterConfig cluster, Topics topics) {
            KafkaConsumer<String, Prediction> consumer = PipelineBenchmark.predictionsFromStart(cluster, topics, 500);
            thread = new Thread(() -> {
                try (consumer) {
                    while (!closed.get()) {
                        var records = consumer.poll(Duration.ofMillis(5));
                        long now = System.currentTimeMillis();
                        for (ConsumerRecord<String, Prediction> record : records) {
                            if (record.value() != null) {
                                reads.add(new Read(now, now - record.value().getCaptureTime().toEpochMilli()));
                                read.incrementAndGet();
                            }
                        }
                    }
                }
            }, "bench-cameras-reader");
            thread.setDaemon(true);
            thread.start();
        }

        long read() {
            return read.get();
        }

        /** Latencies of the predictions read since {@code sinceMillis}; older ones are dropped. */
        double[] latenciesReadSince(long sinceMillis) {
            List<Double> latencies = new ArrayList<>();
            for (var it = reads.iterator(); it.hasNext(); ) {
                Read r = it.next();
                if (r.atMillis() >= sinceMillis) {
                    latencies.add(r.latencyMillis());
                }
                it.remove();
            }
            return latencies.stream().mapToDouble(Double::doubleValue).toArray();
        }

        @Override
        public void close() throws InterruptedException {
            closed.set(true);
            thread.join(10_000);
        }
    }
}
