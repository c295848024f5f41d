package io.sieve.cli;

import io.sieve.images.Cifar10;
import io.sieve.images.DataException;
import io.sieve.client.ClusterConfig;
import io.sieve.platform.EmbeddedPlatform;
import io.sieve.platform.PlatformConfig;
import io.sieve.producer.FramePublisher;
import io.sieve.producer.FrameSource;
import io.sieve.producer.ProducerRun;
import io.sieve.producer.SourceException;
import io.sieve.producer.Sources;
import io.sieve.producer.SyntheticSource;
import io.sieve.producer.VideoSource;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryMode;
import io.sieve.client.QueryClient;
import io.sieve.stream.SieveStreamApp;
import io.sieve.stream.StreamAppConfig;
import io.sieve.client.Topics;
import io.sieve.ui.SieveUi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The main job in one command: the embedded Kafka and schema registry, the stream app with the default",
            "cascade, the UI, and producers replaying the CIFAR-10 test batch as a query (and the sample video as a live",
            "query when it and ffmpeg are there). Prints the URL; Ctrl-C stops everything it started."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--cascade", defaultValue = "${sys:sieve.home:-.}/models/cascades/default.cascade.json",
            description = "Cascade file (default: ${DEFAULT-VALUE}).")
    Path cascade;

    @Option(names = "--port", defaultValue = "8080", description = "UI port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--fps", defaultValue = "250", description = "Replay rate of the CIFAR-10 query, frames per second (default: ${DEFAULT-VALUE}).")
    double fps;

    @Option(names = "--video", defaultValue = "${sys:sieve.home:-.}/../shared/data/video/car-detection.mp4",
            description = "Video replayed as a live camera (default: ${DEFAULT-VALUE}).")
    Path video;

    @Override
    public Integer call() throws Exception {
        ModelCards cards = ModelCards.ofCascade(cascade);
        Path home = SieveHome.path();
        Deque<AutoCloseable> started = new ArrayDeque<>();
        StopSignal signal = StopSignal.install("sieve-demo", "Stopping the demo ...");
        AtomicBoolean stop = signal.flag();
        try {
            PlatformConfig platformConfig = PlatformConfig.defaults(home);
            EmbeddedPlatform platform = new EmbeddedPlatform(platformConfig);
            if (platform.status().stream().allMatch(EmbeddedPlatform.ComponentStatus::answering)) {
                System.out.println("Using the platform already running at " + platformConfig.bootstrapServers());
            } else {
                System.out.println("Starting Kafka and the schema registry ...");
                platform.start(false);
                started.push(platform::stop);
            }
            ClusterConfig cluster = platformConfig.cluster().withSetting("application.id", "sieve-demo");
            System.out.println("Starting the stream app with " + cascade.getFileName() + " ...");
            SieveStreamApp app = SieveStreamApp.start(cascade, cluster, StreamAppConfig.from(cluster, home), Duration.ofSeconds(120));
            started.push(app);
            SieveUi ui = UiCommand.start(cluster, cards.classes(), PlatformConfig.LOOPBACK, port, true);
            started.push(ui);
            Topics topics = new Topics("", cluster.registryUrl());
            QueryClient queries = new QueryClient(cluster, topics);
            started.push(queries);
            AtomicBoolean replayStop = new AtomicBoolean();
            Thread cifar = replayCifar(home, cluster, topics, queries, cards.frameSize(), replayStop);
            Thread camera = liveVideo(cluster, topics, queries, cards.frameSize(), stop);
            System.out.println();
            System.out.println("Sieve demo at http://127.0.0.1:" + ui.port() + "/   (Ctrl-C stops everything)");
            System.out.println("Metrics at http://127.0.0.1:" + app.metricsPort() + "/metrics");
            signal.await();
            replayStop.set(true);
            cifar.join(10_000);
            camera.join(10_000);
        } finally {
            while (!started.isEmpty()) {
                try {
                    started.pop().close();
                } catch (Exception e) {
                    System.err.println("while stopping: " + e.getMessage());
                }
            }
            // Only now may the JVM exit: the shutdown hook waits for this.
            signal.close();
        }
        return 0;
    }

    /** Replays the test batch as a query until it ends, is aborted, or {@code stop} is set. */
    private Thread replayCifar(Path home, ClusterConfig cluster, Topics topics, QueryClient queries, FrameSize size, AtomicBoolean stop) {
        FrameSource source;
        String queryId = "cifar-test-" + Instant.now().getEpochSecond();
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
                .setExpectedFrames(expected).setSeed(1).setIssuedTime(Instant.now()).build());
        System.out.println("Query " + queryId + ": " + source.describe() + " in random order at " + fps + " frames/s, counting automobiles");
        FrameSource chosen = source;
        return thread("demo-cifar", () -> {
            try (FramePublisher publisher = new FramePublisher(cluster, topics.frames(0).name(), 16, Duration.ofMillis(100));
                 AutoCloseable watch = queries.onAbort(queryId, () -> stop.set(true))) {
                ProducerRun.run(List.of(chosen), publisher, fps, queryId, stop, n -> { });
            }
        });
    }

    private Thread liveVideo(ClusterConfig cluster, Topics topics, QueryClient queries, FrameSize size, AtomicBoolean stop) {
        if (!Files.isRegularFile(video)) {
            System.out.println("No sample video at " + video + "; the live camera query is skipped.");
            return thread("demo-video", () -> { });
        }
        queries.send(QueryCommand.newBuilder().setQueryId("parking-lot-live").setAction(QueryAction.START).setMode(QueryMode.LIVE)
                .setCameras(List.of("parking-lot")).setTargetClass("automobile").setIssuedTime(Instant.now()).build());
        System.out.println("Live query parking-lot-live: " + video.getFileName() + " as camera parking-lot at 12.5 frames/s, looping");
        return thread("demo-video", () -> {
            try (FramePublisher publisher = new FramePublisher(cluster, topics.frames(0).name(), 4, Duration.ofMillis(200))) {
                while (!stop.get()) {
                    try (VideoSource source = new VideoSource(video.toString(), "parking-lot", size.width(), size.height(), null)) {
                        ProducerRun.run(List.of(source), publisher, 12.5, null, stop, n -> { });
                    } catch (SourceException e) {
                        System.out.println("Live camera stopped: " + e.getMessage());
                        return;
                    }
                }
            }
        });
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
