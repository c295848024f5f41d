package io.sieve.cli;

import io.sieve.images.LabelledImages;
import io.sieve.cascade.evaluation.CascadeRun;
import io.sieve.cascade.runtime.Cascade;
import io.sieve.client.ClusterConfig;
import io.sieve.images.PixelEncoding;
import io.sieve.producer.FramePublisher;
import io.sieve.producer.ListSource;
import io.sieve.producer.ProducerRun;
import io.sieve.schemas.Prediction;
import io.sieve.stream.SieveStreamApp;
import io.sieve.stream.StreamAppConfig;
import io.sieve.client.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Runs one cascade file over the same labelled frames twice: in-process (the {@link Cascade}
 * alone) and through Kafka (producer, the stream app's Kafka Streams topology, a consumer of the
 * predictions), on one broker, so the two throughputs are comparable within one run.
 *
 * <p>Through Kafka there are two phases. Throughput: 1,000 warm-up frames and then every frame are
 * on the input topic before the stream app starts; the clock runs from the warm-up's last prediction
 * to the last prediction read (in-process runs the same warm-up first).
 * Latency: frames are then sent at a fixed rate (half the measured throughput) and each
 * prediction's latency is the time it is read minus the frame's capture time.
 */
final class PipelineBenchmark {
    /** Options that hold for every configuration of one benchmark run. */
    record Settings(int framesPerRecord, int latencyFramesPerRecord, Duration latencyMaxWait, double latencySeconds,
                    double latencyLoad, int modelThreads, int streamThreads, int cameras, int partitions, Path stateDir) {
    }

    /** @param auditCalls of the expensive model's calls, those for the live audit */
    record InProcess(double framesPerSecond, double accuracy, long expensiveCalls, long auditCalls) {
    }

    /**
     * @param expensiveCalls    frames the expensive model ran on: those it decided and those it labelled for the live audit
     * @param auditCalls        of them, the audits
     * @param decisionP50Millis capture to the stage's decision (the rest of the latency is waiting for the
     *                          transaction to commit and the consumer to read)
     * @param threadBusy        Kafka Streams' process-ratio at the end of the latency phase: the share of its
     *                          recent time the stream thread spent processing records
     */
    record ThroughKafka(double framesPerSecond, double accuracy, long expensiveCalls, long auditCalls, long predictions,
                        double latencyRate, int latencyFrames, double p50Millis, double p99Millis, double maxMillis,
                        double decisionP50Millis, double decisionP99Millis, double threadBusy) {
    }

    private final ClusterConfig cluster;
    private final Settings settings;
    private final String runId;

    PipelineBenchmark(ClusterConfig cluster, Settings settings, String runId) {
        this.cluster = cluster;
        this.settings = settings;
        this.runId = runId;
    }

    /** Frames run before the clock starts, in-process and through Kafka alike, so that neither is timed while the JIT compiles. */
    static final int WARM_UP_FRAMES = 1000;
    /** Deliveries (see {@link Counts#deliveriesAfterClock}) a throughput must span to mean anything. */
    static final int MIN_DELIVERIES = 5;
    private static final String WARM_UP = "warm-up";

    /**
     * The cascade alone, batch by batch (the records' batches), after one warm-up pass over the first
     * 1,000 frames, with the cascade's live audit as the stream app runs it, so both do the same model work.
     */
    InProcess inProcess(Path cascadeFile, LabelledImages frames, String expensiveModel, LongConsumer progress) {
        try (Cascade cascade = Cascade.load(cascadeFile, settings.modelThreads())) {
            double auditRate = cascade.definition().effectiveAuditRate();
            CascadeRun.run(cascade, frames.first(WARM_UP_FRAMES), settings.framesPerRecord(), auditRate, n -> { });
            CascadeRun run = CascadeRun.run(cascade, frames, settings.framesPerRecord(), auditRate, progress::accept);
            int last = cascade.stages().size() - 1;
            long expensiveCalls = cascade.stages().get(last).model().name().equals(expensiveModel) ? run.reached()[last] + run.audits() : 0;
            for (int s = 0; s < last; s++) {
                expensiveCalls += cascade.stages().get(s).model().name().equals(expensiveModel) ? run.reached()[s] : 0;
            }
            return new InProcess(frames.size() / (run.wallMs() / 1000), run.accuracy(), expensiveCalls, run.audits());
        }
    }

    /** The same cascade as a stream app on its own topics: the throughput phase, then the latency phase. */
    ThroughKafka throughKafka(String configuration, Path cascadeFile, LabelledImages frames, String expensiveModel,
                              LongConsumer progress)
            throws InterruptedException {
        String prefix = "bench-" + runId + "-" + configuration + "-";
        ClusterConfig appCluster = cluster.withClientProperty("num.stream.threads", Integer.toString(settings.streamThreads()))
                .withSetting("topic.prefix", prefix)
                .withSetting("application.id", prefix + "app")
                .withSetting("aggregate", "false")
                .withSetting("metrics.port", "0")
                .withSetting("model.threads", Integer.toString(settings.modelThreads()))
                .withSetting("topic.partitions", Integer.toString(settings.partitions()))
                .withSetting("state.dir", settings.stateDir().resolve(configuration).toString());
        StreamAppConfig config = StreamAppConfig.from(appCluster, SieveHome.path());
        Topics topics = new Topics(prefix, cluster.registryUrl());

        // The app creates the topics; start and stop it once so that the warm-up frames and the backlog
        // behind them can be written before the app starts again. The clock starts when as many
        // predictions as the warm-up has frames are read, of either, and counts every prediction from
        // then on: partitions are worked through side by side, so some cameras' backlog is done before
        // the last warm-up frame of another, and only a count of predictions says the JIT has warmed.
        SieveStreamApp.start(cascadeFile, appCluster, config, Duration.ofSeconds(120)).close();
        // Frames travel as the producer would send them at this size (raw for CIFAR-10's 32x32).
        PixelEncoding encoding = ProduceCommand.pixelEncoding(ProduceCommand.EncodingChoice.AUTO,
                new FrameSize(frames.images().get(0).width(), frames.images().get(0).height()));
        try (FramePublisher publisher = new FramePublisher(cluster, topics.frames(0).name(), settings.framesPerRecord(),
                Duration.ofSeconds(1), encoding)) {
            ProducerRun.run(cameras(WARM_UP, frames.first(WARM_UP_FRAMES), WARM_UP_FRAMES), publisher, 0, null, new AtomicBoolean(),
                    n -> { });
            ProducerRun.run(cameras("backlog", frames, frames.size()), publisher, 0, null, new AtomicBoolean(), n -> { });
        }
        try (PredictionReader reader = new PredictionReader(cluster, topics)) {
            Counts backlog;
            try (SieveStreamApp app = SieveStreamApp.start(cascadeFile, appCluster, config, Duration.ofSeconds(120))) {
                backlog = reader.readUntil(frames.size(), WARM_UP_FRAMES, expensiveModel, frames, "backlog", progress,
                        Duration.ofMinutes(10));
                if (backlog.deliveriesAfterClock < MIN_DELIVERIES) {
                    // Under exactly-once, predictions become visible a transaction at a time: a run a few commits long has no rate.
                    throw new IllegalStateException("the " + backlog.readAfterClock + " predictions after the warm-up became visible in only "
                            + backlog.deliveriesAfterClock + " deliveries (a few transactions): too short to time; run with more --frames");
                }
                double seconds = (backlog.lastReadNanos - backlog.clockStartNanos) / 1e9;
                double fps = backlog.readAfterClock / seconds;

                double rate = settings.latencyLoad() * fps;
                int count = (int) Math.min(frames.size(), Math.max(100, rate * settings.latencySeconds()));
                Counts paced;
                try (FramePublisher publisher = new FramePublisher(cluster, topics.frames(0).name(), settings.latencyFramesPerRecord(),
                        settings.latencyMaxWait(), encoding)) {
                    Thread sender = new Thread(() -> ProducerRun.run(cameras("paced", frames, count), publisher,
                            rate / settings.cameras(), null, new AtomicBoolean(), n -> { }), "bench-paced-producer");
                    sender.start();
                    paced = reader.readUntil(count, 0, expensiveModel, frames, "paced", n -> { }, Duration.ofMinutes(5));
                    sender.join();
                }
                double[] latencies = paced.latenciesMillis();
                double[] toDecision = paced.toDecision.stream().mapToDouble(Double::doubleValue).toArray();
                return new ThroughKafka(fps, backlog.accuracy(), backlog.expensive, backlog.audits, backlog.read, rate, count,
                        BenchCommand.percentile(latencies, 50), BenchCommand.percentile(latencies, 99),
                        Arrays.stream(latencies).max().orElse(0), BenchCommand.percentile(toDecision, 50),
                        BenchCommand.percentile(toDecision, 99), processRatio(app));
            }
        }
    }

    /** The mean process-ratio of the app's stream threads, from its metrics. */
    private static double processRatio(SieveStreamApp app) {
        return app.meters().find("kafka.stream.thread.process.ratio").gauges().stream().mapToDouble(g -> g.value())
                .filter(Double::isFinite).average().orElse(Double.NaN);
    }

    /**
     * The first {@code count} frames as {@code settings.cameras()} cameras of consecutive frames, so
     * that the work spreads over partitions as real cameras' does. Camera {@code <phase>-<c>} starts
     * at frame {@code c * count / cameras}, and its sequence numbers count from there.
     */
    private List<ListSource> cameras(String phase, LabelledImages frames, int count) {
        List<ListSource> sources = new ArrayList<>();
        for (int c = 0; c < settings.cameras(); c++) {
            int from = firstFrame(c, count);
            int to = firstFrame(c + 1, count);
            sources.add(new ListSource(phase + " camera " + c, phase + "-" + c, frames.images().subList(from, to),
                    Arrays.stream(frames.labels(), from, to).boxed().toList()));
        }
        return sources;
    }

    private int firstFrame(int camera, int count) {
        return (int) ((long) camera * count / settings.cameras());
    }

    private static final class Counts {
        long read;
        long correct;
        long expensive;
        long audits;
        long lastReadNanos;
        /** When as many predictions as the warm-up has frames were read (of the warm-up or this phase), and how many came after. */
        long clockStartNanos;
        long readAfterClock;
        /**
         * Deliveries after the clock started: runs of consecutive polls that brought timed predictions.
         * A committed transaction becomes visible at once and is read in as many polls as its size
         * takes, so polls alone would count one large transaction as many.
         */
        long deliveriesAfterClock;
        final List<Double> latencies = new ArrayList<>();
        final List<Double> toDecision = new ArrayList<>();

        double accuracy() {
            return read == 0 ? 0 : (double) correct / read;
        }

        double[] latenciesMillis() {
            return latencies.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }

    /** A consumer of every partition of the predictions topic from its start, read_committed: only what exactly-once made visible. */
    static KafkaConsumer<String, Prediction> predictionsFromStart(ClusterConfig cluster, Topics topics, int maxPollRecords) {
        Map<String, Object> props = cluster.kafkaProperties();
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        KafkaConsumer<String, Prediction> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                topics.predictions().valueSerde().deserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topics.predictions().name()).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }

    /** Reads the predictions topic from its start. */
    private final class PredictionReader implements AutoCloseable {
        private final KafkaConsumer<String, Prediction> consumer;

        PredictionReader(ClusterConfig cluster, Topics topics) {
            consumer = predictionsFromStart(cluster, topics, 5000);
        }

        /**
         * Reads until {@code wanted} predictions of the cameras of {@code phase} and {@code warmUp} of
         * the warm-up cameras have arrived; the clock starts after the first {@code warmUp} of either.
         * Latency counts only in the paced phase, whose frames carry their send time.
         */
        Counts readUntil(long wanted, long warmUp, String expensiveModel, LabelledImages frames, String phase, LongConsumer progress,
                         Duration timeout) {
            int count = (int) wanted;
            Counts counts = new Counts();
            long warmedUp = 0;
            long readOfEither = 0;
            boolean previousPollBrought = false;
            counts.clockStartNanos = System.nanoTime();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (counts.read < wanted || warmedUp < warmUp) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + counts.read + " of " + wanted + " predictions arrived within "
                            + timeout.toSeconds() + " s; see the stream app's log");
                }
                var records = consumer.poll(Duration.ofMillis(5));
                long readAtMillis = System.currentTimeMillis();
                long readAtNanos = System.nanoTime();
                long timedBefore = counts.readAfterClock;
                for (ConsumerRecord<String, Prediction> record : records) {
                    Prediction p = record.value();
                    boolean warmingUp = p != null && p.getCameraId().startsWith(WARM_UP + "-");
                    boolean ofPhase = p != null && p.getCameraId().startsWith(phase + "-");
                    warmedUp += warmingUp ? 1 : 0;
                    if (warmingUp || ofPhase) {
                        if (++readOfEither == warmUp) {
                            counts.clockStartNanos = readAtNanos;
                        } else if (readOfEither > warmUp) {
                            counts.readAfterClock++;
                            counts.lastReadNanos = readAtNanos;
                        }
                    }
                    if (!ofPhase) {
                        continue;
                    }
                    int camera = Integer.parseInt(p.getCameraId().substring(phase.length() + 1));
                    int frame = firstFrame(camera, count) + (int) p.getSequence();
                    counts.read++;
                    counts.correct += p.getLabel() == frames.labels()[frame] ? 1 : 0;
                    counts.expensive += expensiveModel.equals(p.getModel()) ? 1 : 0;
                    if (p.getAudit() != null && expensiveModel.equals(p.getAudit().getModel())) {
                        counts.expensive++;
                        counts.audits++;
                    }
                    if (phase.equals("paced")) {
                        counts.latencies.add((double) (readAtMillis - p.getCaptureTime().toEpochMilli()));
                        counts.toDecision.add((double) (p.getDecidedTime().toEpochMilli() - p.getCaptureTime().toEpochMilli()));
                    }
                    progress.accept(1);
                }
                boolean brought = counts.readAfterClock > timedBefore;
                counts.deliveriesAfterClock += brought && !previousPollBrought ? 1 : 0;
                previousPollBrought = brought;
            }
            return counts;
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
