package io.sieve.cli;

import io.sieve.images.Cifar10;
import io.sieve.images.ImageFolder;
import io.sieve.images.LabelledImages;
import io.sieve.images.PixelEncoding;
import io.sieve.client.Brokers;
import io.sieve.client.ClusterConfig;
import io.sieve.producer.FramePublisher;
import io.sieve.producer.FrameSource;
import io.sieve.producer.ListSource;
import io.sieve.producer.ProducerRun;
import io.sieve.producer.Sources;
import io.sieve.producer.SceneSource;
import io.sieve.producer.SyntheticSource;
import io.sieve.producer.VideoSource;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.client.QueryClient;
import io.sieve.stream.StreamAppConfig;
import io.sieve.client.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {"Publish camera frames to the frames topic (key = camera id), brought to the frame size (--size, or the",
            "largest input among the cascade's models) by a centred crop and an area-average resize, raw or compressed",
            "(--encoding). Ctrl-C flushes and reports what was sent."})
final class ProduceCommand implements Callable<Integer> {
    /** Raw frames up to this many bytes (96x96 RGB); JPEG above, where raw records grow large (BENCHMARKS.md). */
    static final int AUTO_RAW_MAX_BYTES = 96 * 96 * 3;

    enum EncodingChoice { AUTO, RAW, JPEG, PNG }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--cifar", description = "A CIFAR-10 binary file (labels included), e.g. .../test_batch.bin; 'test' for the test batch.")
        String cifar;

        @Option(names = "--images", description = "A folder of PNG/JPEG images; a folder named like a class labels its images.")
        Path images;

        @Option(names = "--video", description = "A video file or stream URL, decoded by ffmpeg.")
        String video;

        @Option(names = "--synthetic", description = "Synthetic cameras: a square drifting over a plain background.")
        boolean synthetic;

        @Option(names = "--scene", paramLabel = "OBJECTS", description = "Scene cameras with known truth: labelled objects ('test' for "
                + "CIFAR-10's test batch, or a folder of labelled images) come into a fixed camera's view, dwell 2-8 s and leave; every "
                + "frame carries the label of what is in view. Deterministic for --scene-seed and the camera id.")
        String scene;
    }

    @Option(names = "--camera", defaultValue = "camera-1", description = "Camera id, or the prefix of the ids with --cameras (default: ${DEFAULT-VALUE}).")
    String camera;

    @Option(names = "--cameras", defaultValue = "1", description = "Cameras publishing the source at once, each its own copy (default: ${DEFAULT-VALUE}).")
    int cameras;

    @Option(names = "--fps", defaultValue = "0", description = "Frames per second per camera; 0 = as fast as possible (default: ${DEFAULT-VALUE}).")
    double fps;

    @Option(names = "--limit", description = "At most this many frames per camera (synthetic cameras: default 1000).")
    Integer limit;

    @Option(names = "--batch", defaultValue = "" + DEFAULT_BATCH, description = "Frames of one camera per Kafka record (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--query", description = "Attach the frames to this retrospective query and send them in its seeded random order.")
    String query;

    @Option(names = "--audit-rate", description = "Share of the query's early-decided frames the last stage labels too, "
            + "for the audit's estimates (0 = none; default: the cascade's audit_rate).")
    Double auditRate;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the query's random order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--scene-seed", defaultValue = "1", description = "With --scene: the seed of the scenes' timelines (default: ${DEFAULT-VALUE}).")
    long sceneSeed;

    @Option(names = "--target", description = "With --query: the class the query counts (default: every class).")
    String target;

    @Option(names = "--sample-fps", description = "Video only: decode this many frames per second of video.")
    Double sampleFps;

    @Option(names = "--cascade", defaultValue = "${sys:sieve.home:-.}/models/cascades/default.cascade.json",
            description = "The cascade the stream app runs: it gives the default frame size and the class names (default: ${DEFAULT-VALUE}).")
    Path cascade;

    @Option(names = "--size", description = "Frame size WIDTHxHEIGHT, e.g. 224x224 (default: the largest input among the cascade's models).")
    String size;

    @Option(names = "--encoding", defaultValue = "AUTO", description = {"How frames carry their pixels: ${COMPLETION-CANDIDATES}",
        "(default: ${DEFAULT-VALUE}: raw up to 96x96, JPEG above; PNG is lossless)."})
    EncodingChoice encoding;

    private ModelCards cards;
    private FrameSize frameSize;

    @Mixin
    PrecisionOptions precision;

    private LabelledImages sceneObjects;

    @Mixin
    BudgetOptions budget;

    @Mixin
    ClusterOptions clusterOptions;

    @Override
    public Integer call() throws Exception {
        if (cameras < 1) {
            throw new IllegalArgumentException("--cameras must be at least 1, got " + cameras);
        }
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("--limit must be at least 1 frame, got " + limit);
        }
        if (!(fps >= 0) || Double.isInfinite(fps)) {
            throw new IllegalArgumentException("--fps must be 0 (as fast as possible) or a positive rate, got " + fps);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be at least 1 frame per record, got " + batch);
        }
        if (sampleFps != null && !(sampleFps > 0)) {
            throw new IllegalArgumentException("--sample-fps must be positive, got " + sampleFps);
        }
        if (query == null && (precision.points != null || precision.frames != null)) {
            throw new IllegalArgumentException("--precision-points and --precision-frames are for a query's frames: add --query ID");
        }
        cards = ModelCards.ofCascade(cascade);
        frameSize = size != null ? FrameSize.parse(size) : cards.frameSize();
        PixelEncoding pixels = pixelEncoding(encoding, frameSize);
        String target = cards.requireClass(this.target, "the cascade " + cascade.getFileName());
        ClusterConfig cluster = clusterOptions.load();
        Brokers.requireReachable(cluster);
        StreamAppConfig settings = StreamAppConfig.from(cluster, SieveHome.path());
        String topic = new Topics(settings.topicPrefix(), cluster.registryUrl()).frames(0).name();
        List<FrameSource> sources = new ArrayList<>();
        try {
            for (int c = 0; c < cameras; c++) {
                sources.add(open(cameras == 1 ? camera : camera + "-" + (c + 1)));
            }
            long expected = sources.stream().mapToLong(s -> s.expectedFrames().orElse(-1)).sum();
            boolean known = sources.stream().allMatch(s -> s.expectedFrames().isPresent());
            System.out.println("Publishing " + sources.get(0).describe() + " as " + cameras + " camera(s) to " + topic + " on "
                    + cluster.bootstrapServers() + " at " + frameSize + " as " + pixels + (fps > 0 ? " at " + fps + " fps per camera" : " as fast as possible")
                    + (query != null ? ", query " + query + " (seed " + seed + ")" : ""));
            StopSignal signal = StopSignal.install("sieve-produce", null);
            AtomicBoolean stop = signal.flag();
            AutoCloseable abortWatch = () -> { };
            if (query != null) {
                QueryClient queries = new QueryClient(cluster, new Topics(settings.topicPrefix(), cluster.registryUrl()));
                QueryCommand.Builder start = QueryCommand.newBuilder().setQueryId(QueryLifecycleCommand.validQueryId(query))
                        .setAction(QueryAction.START).setTargetClass(target).setExpectedFrames(known ? expected : null).setSeed(seed)
                        .setAuditRate(QueryLifecycleCommand.validAuditRate(auditRate)).setIssuedTime(java.time.Instant.now());
                precision.applyTo(start, false, known ? expected : null);
                budget.applyTo(start, false);
                queries.send(start.build());
                AutoCloseable watch = queries.onEnd(query, action -> {
                    System.err.println("\nQuery " + query + (action == QueryAction.STOP ? " reached its precision" : " was aborted")
                            + ": stopping.");
                    stop.set(true);
                });
                abortWatch = () -> {
                    watch.close();
                    queries.close();
                };
            }
            ProducerRun.Result result;
            try (FramePublisher publisher = new FramePublisher(cluster, topic, batch, MAX_RECORD_WAIT, pixels);
                 ProgressBar bar = ProgressBars.bar("frames", known ? expected : -1, "frames")) {
                result = ProducerRun.run(sources, publisher, fps, query, stop, bar::stepBy);
            } finally {
                abortWatch.close();
                signal.close();
            }
            System.out.printf("%s %,d frames (%,d acknowledged by the broker) in %.1f s: %,.0f frames/s%n",
                    result.stopped() ? "Stopped after sending" : "Sent", result.sent(), result.acknowledged(),
                    result.elapsed().toMillis() / 1000.0, result.framesPerSecond());
            return 0;
        } finally {
            sources.forEach(FrameSource::close);
        }
    }

    private FrameSource open(String cameraId) {
        if (source.cifar != null) {
            Path file = "test".equals(source.cifar)
                    ? Cifar10.locate(Cifar10.defaultLocations(SieveHome.path(), System.getenv())).resolve(Cifar10.TEST_FILE)
                    : Path.of(source.cifar);
            return ordered(Sources.cifar(file, cameraId, frameSize.width(), frameSize.height()));
        }
        if (source.images != null) {
            return ordered(Sources.imageFolder(source.images, cameraId, frameSize.width(), frameSize.height(), cards.classes()));
        }
        if (source.scene != null) {
            if (query != null) {
                throw new IllegalArgumentException("--query needs a source that can be replayed in random order (--cifar or --images); "
                        + "scene cameras are live cameras");
            }
            return new SceneSource(cameraId, sceneObjects(), frameSize.width(), frameSize.height(), fps > 0 ? fps : SCENE_DEFAULT_FPS,
                    sceneSeed, limit != null ? limit : 0);
        }
        if (source.video != null) {
            if (query != null) {
                throw new IllegalArgumentException("--query needs a source that can be replayed in random order (--cifar or --images)");
            }
            return new VideoSource(source.video, cameraId, frameSize.width(), frameSize.height(), sampleFps);
        }
        return new SyntheticSource(cameraId, frameSize.width(), frameSize.height(), limit != null ? limit : 1000);
    }

    /** Frames per record and the longest a frame waits for its record's others, by default. */
    static final int DEFAULT_BATCH = 32;
    static final Duration MAX_RECORD_WAIT = Duration.ofMillis(100);

    /** The timeline rate of scene cameras sent as fast as possible: a typical camera's. */
    static final double SCENE_DEFAULT_FPS = 12.5;

    /** What scene cameras show, read once for all of them, in the cascade's classes. */
    private LabelledImages sceneObjects() {
        if (sceneObjects == null) {
            sceneObjects = sceneObjects(source.scene, cards, frameSize, cascade);
        }
        return sceneObjects;
    }

    /** Scene cameras' objects: CIFAR-10's test batch for {@code "test"}, else the labelled folder {@code spec}, in the cascade's classes. */
    static LabelledImages sceneObjects(String spec, ModelCards cards, FrameSize size, Path cascade) {
        LabelledImages objects = "test".equals(spec)
                ? Cifar10.test(Cifar10.locate(Cifar10.defaultLocations(SieveHome.path(), System.getenv())))
                : ImageFolder.read(Path.of(spec), size.width(), size.height());
        return objects.inClassesOf(cards.classes(), "the cascade " + cascade.getFileName());
    }

    static PixelEncoding pixelEncoding(EncodingChoice choice, FrameSize size) {
        return switch (choice) {
            case AUTO -> (long) size.width() * size.height() * 3 <= AUTO_RAW_MAX_BYTES ? PixelEncoding.RAW : PixelEncoding.JPEG;
            case RAW -> PixelEncoding.RAW;
            case JPEG -> PixelEncoding.JPEG;
            case PNG -> PixelEncoding.PNG;
        };
    }

    private ListSource ordered(ListSource list) {
        if (query != null) {
            list.shuffled(seed);
        }
        return limit != null ? list.limit(limit) : list;
    }
}
