package io.sieve.cli;

import io.sieve.client.ClusterConfig;
import io.sieve.client.QueryClient;
import io.sieve.client.Topics;
import io.sieve.images.Cifar10;
import io.sieve.images.DataException;
import io.sieve.images.LabelledImages;
import io.sieve.platform.PlatformConfig;
import io.sieve.producer.FramePublisher;
import io.sieve.producer.FrameSource;
import io.sieve.producer.ProducerRun;
import io.sieve.producer.SceneSource;
import io.sieve.producer.SourceException;
import io.sieve.producer.Sources;
import io.sieve.producer.SyntheticSource;
import io.sieve.producer.VideoSource;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryMode;
import io.sieve.stream.SieveStreamApp;
import io.sieve.stream.StreamAppConfig;
import io.sieve.ui.SieveUi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What {@code ./sieve demo} runs on a platform: the stream app with a cascade, the UI, the CIFAR-10
 * test batch replayed as a retrospective query, scene cameras with known truth (CIFAR-10's test
 * images coming and going in front of a fixed camera) under a live query whose true accuracy can be
 * checked, and the sample video looped as a live camera under another (footage unlike the
 * calibration frames: its drift alarm is the point). The scene cameras have the difference filter
 * and learn their background, so frames with nothing in view run no model and stay out of the
 * accuracy (unless the platform's settings say otherwise); the clip runs every frame. Closing it
 * stops the producers and then everything it started, in reverse order.
 */
final class Demo implements AutoCloseable {
    static final String LIVE_QUERY = "parking-lot-live";
    static final String SCENE_QUERY = "scenes-live";
    static final List<String> SCENE_CAMERAS = List.of("scene-1", "scene-2");
    /** The scene cameras' timelines: the same objects at the same times on every demo. */
    static final long SCENE_SEED = 1;
    /**
     * The scene cameras' difference filter threshold, chosen by {@code ./sieve filter --scene test} on seed 1
     * (EVALUATION.md), and their background; every other camera runs without a filter.
     */
    static final String SCENE_FILTER_THRESHOLDS = "0,scene-*=20";
    static final String SCENE_BACKGROUNDS = "scene-*";
    /** The replay stops once the automobiles' share is known this well: the demo shows a query ending early on its own. */
    static final double REPLAY_PRECISION = 0.02;
    static final String LIVE_CAMERA = "parking-lot";
    static final double LIVE_FPS = 12.5;

    private final Deque<AutoCloseable> started;
    /** The replay's flag is its own: aborting its query stops the replay, not the camera. */
    private final List<AtomicBoolean> stopProducers;
    private final List<Thread> producers;
    private final SieveStreamApp app;
    private final SieveUi ui;
    private final String replayQuery;

    private Demo(Deque<AutoCloseable> started, List<AtomicBoolean> stopProducers, List<Thread> producers, SieveStreamApp app, SieveUi ui,
                 String replayQuery) {
        this.started = started;
        this.stopProducers = stopProducers;
        this.producers = producers;
        this.app = app;
        this.ui = ui;
        this.replayQuery = replayQuery;
    }

    /**
     * Starts it all on the platform {@code cluster} names.
     *
     * @param replayFps frames per second of the CIFAR-10 replay
     * @param video     the clip looped as the live camera; the live query is skipped (and says so) when it is not there
     */
    static Demo start(Path cascade, ClusterConfig cluster, int uiPort, double replayFps, Path video) {
        Path home = SieveHome.path();
        Deque<AutoCloseable> started = new ArrayDeque<>();
        try {
            ModelCards cards = ModelCards.ofCascade(cascade);
            StreamAppConfig config = StreamAppConfig.from(withSceneFilters(cluster), home);
            SieveStreamApp app = SieveStreamApp.start(cascade, cluster, config, Duration.ofSeconds(120));
            started.push(app);
            SieveUi ui = UiCommand.start(cluster, cards.classes(), PlatformConfig.LOOPBACK, uiPort, true);
            started.push(ui);
            Topics topics = new Topics(config.topicPrefix(), cluster.registryUrl());
            QueryClient queries = new QueryClient(cluster, topics);
            started.push(queries);
            AtomicBoolean stopReplay = new AtomicBoolean();
            AtomicBoolean stopCamera = new AtomicBoolean();
            AtomicBoolean stopScenes = new AtomicBoolean();
            String replayQuery = "cifar-test-" + Instant.now().getEpochSecond();
            Thread replay = replayCifar(home, cluster, topics, queries, cards.frameSize(), replayQuery, replayFps, stopReplay);
            Thread scenes = liveScenes(cascade, cluster, topics, queries, cards, stopScenes);
            Thread camera = liveVideo(cluster, topics, queries, cards.frameSize(), video, stopCamera);
            return new Demo(started, List.of(stopReplay, stopScenes, stopCamera), List.of(replay, scenes, camera), app, ui, replayQuery);
        } catch (RuntimeException e) {
            closeAll(started);
            throw e;
        }
    }

    /** The cluster's settings, with the scene cameras' filter and background where the platform sets no filter of its own. */
    static ClusterConfig withSceneFilters(ClusterConfig cluster) {
        if (cluster.setting("filter.threshold", null) != null || cluster.setting("filter.background", null) != null) {
            return cluster;
        }
        return cluster.withSetting("filter.threshold", SCENE_FILTER_THRESHOLDS).withSetting("filter.background", SCENE_BACKGROUNDS);
    }

    String replayQuery() {
        return replayQuery;
    }

    int uiPort() {
        return ui.port();
    }

    int metricsPort() {
        return app.metricsPort();
    }

    /** Replays the test batch (or synthetic cameras when it is not here) as a query until it ends, is aborted, or the demo stops. */
    private static Thread replayCifar(Path home, ClusterConfig cluster, Topics topics, QueryClient queries, FrameSize size, String queryId,
                                      double fps, AtomicBoolean stop) {
        FrameSource source;
        long expected;
        try {
            Path testBatch = Cifar10.locate(Cifar10.defaultLocations(home, System.getenv())).resolve(Cifar10.TEST_FILE);
            var replay = Sources.cifar(testBatch, "cifar-replay", size.width(), size.height()).shuffled(1);
            expected = replay.expectedFrames().orElseThrow();
            source = replay;
        } catch (DataException e) {
            System.out.println("CIFAR-10 is not here (" + e.getMessage() + "); replaying synthetic cameras instead.");
            source = new SyntheticSource("synthetic-1", size.width(), size.height(), 10_000);
            expected = 10_000;
        }
        queries.send(QueryCommand.newBuilder().setQueryId(queryId).setAction(QueryAction.START).setTargetClass("automobile")
                .setExpectedFrames(expected).setSeed(1).setPrecisionShare(REPLAY_PRECISION).setIssuedTime(Instant.now()).build());
        System.out.println("Query " + queryId + ": " + source.describe() + " in random order at " + fps + " frames/s, counting automobiles "
                + "until their share is known to +-" + Math.round(100 * REPLAY_PRECISION) + " points at 95% (then it ends DONE_AT_PRECISION)");
        FrameSource chosen = source;
        return thread("demo-cifar", () -> {
            try (FramePublisher publisher = new FramePublisher(cluster, topics.frames(0).name(), 16, Duration.ofMillis(100));
                 AutoCloseable watch = queries.onEnd(queryId, action -> stop.set(true))) {
                ProducerRun.run(List.of(chosen), publisher, fps, queryId, stop, n -> { });
            }
        });
    }

    /** Scene cameras showing CIFAR-10's test images, without end, under a live query; skipped (saying so) where CIFAR-10 is not here. */
    private static Thread liveScenes(Path cascade, ClusterConfig cluster, Topics topics, QueryClient queries, ModelCards cards,
                                     AtomicBoolean stop) {
        FrameSize size = cards.frameSize();
        LabelledImages objects;
        try {
            objects = ProduceCommand.sceneObjects("test", cards, size, cascade);
        } catch (DataException e) {
            System.out.println("CIFAR-10 is not here (" + e.getMessage() + "); the scene cameras' live query is skipped.");
            return thread("demo-scenes", () -> { });
        }
        List<SceneSource> cameras = SCENE_CAMERAS.stream()
                .map(id -> new SceneSource(id, objects, size.width(), size.height(), LIVE_FPS, SCENE_SEED, 0)).toList();
        queries.send(QueryCommand.newBuilder().setQueryId(SCENE_QUERY).setAction(QueryAction.START).setMode(QueryMode.LIVE)
                .setCameras(SCENE_CAMERAS).setTargetClass("automobile").setIssuedTime(Instant.now()).build());
        System.out.println("Live query " + SCENE_QUERY + ": scene cameras " + String.join(", ", SCENE_CAMERAS) + " at " + LIVE_FPS
                + " frames/s each, CIFAR-10 test images coming and going (every frame carries its truth: the true accuracy is shown; "
                + "frames that show a camera's learned background count as nothing in view)");
        return thread("demo-scenes", () -> {
            try (FramePublisher publisher = new FramePublisher(cluster, topics.frames(0).name(), 4, Duration.ofMillis(200))) {
                ProducerRun.run(cameras, publisher, LIVE_FPS, null, stop, n -> { });
            }
        });
    }

    private static Thread liveVideo(ClusterConfig cluster, Topics topics, QueryClient queries, FrameSize size, Path video,
                                    AtomicBoolean stop) {
        if (!Files.isRegularFile(video)) {
            System.out.println("No sample video at " + video + "; the live camera query is skipped.");
            return thread("demo-video", () -> { });
        }
        queries.send(QueryCommand.newBuilder().setQueryId(LIVE_QUERY).setAction(QueryAction.START).setMode(QueryMode.LIVE)
                .setCameras(List.of(LIVE_CAMERA)).setTargetClass("automobile").setIssuedTime(Instant.now()).build());
        System.out.println("Live query " + LIVE_QUERY + ": " + video.getFileName() + " as camera " + LIVE_CAMERA + " at " + LIVE_FPS
                + " frames/s, looping");
        return thread("demo-video", () -> {
            try (FramePublisher publisher = new FramePublisher(cluster, topics.frames(0).name(), 4, Duration.ofMillis(200))) {
                while (!stop.get()) {
                    try (VideoSource source = new VideoSource(video.toString(), LIVE_CAMERA, size.width(), size.height(), null)) {
                        ProducerRun.run(List.of(source), publisher, LIVE_FPS, null, stop, n -> { });
                    } catch (SourceException e) {
                        System.out.println("Live camera stopped: " + e.getMessage());
                        return;
                    }
                }
            }
        });
    }

    @Override
    public void close() {
        stopProducers.forEach(flag -> flag.set(true));
        for (Thread producer : producers) {
            try {
                producer.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeAll(started);
    }

    private static void closeAll(Deque<AutoCloseable> started) {
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                System.err.println("while stopping: " + e.getMessage());
            }
        }
    }

    private interface Body {
        void run() throws Exception;
    }

    private static Thread thread(String name, Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Exception e) {
                System.err.println(name + " failed: " + e.getMessage());
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
