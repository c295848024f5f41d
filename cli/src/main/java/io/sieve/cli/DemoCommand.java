package io.sieve.cli;

import io.sieve.client.ClusterConfig;
import io.sieve.platform.EmbeddedPlatform;
import io.sieve.platform.PlatformConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
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

    static final double DEFAULT_REPLAY_FPS = 250;

    @Option(names = "--fps", defaultValue = "" + DEFAULT_REPLAY_FPS, description = "Replay rate of the CIFAR-10 query, frames per second (default: ${DEFAULT-VALUE}).")
    double fps;

    @Option(names = "--video", defaultValue = "${sys:sieve.home:-.}/../shared/data/video/car-detection.mp4",
            description = "Video replayed as a live camera (default: ${DEFAULT-VALUE}).")
    Path video;

    @Override
    public Integer call() throws Exception {
        Path home = SieveHome.path();
        StopSignal signal = StopSignal.install("sieve-demo", "Stopping the demo ...");
        EmbeddedPlatform platform = null;
        try {
            PlatformConfig platformConfig = PlatformConfig.defaults(home);
            EmbeddedPlatform embedded = new EmbeddedPlatform(platformConfig);
            if (embedded.status().stream().allMatch(EmbeddedPlatform.ComponentStatus::answering)) {
                System.out.println("Using the platform already running at " + platformConfig.bootstrapServers());
            } else {
                System.out.println("Starting Kafka and the schema registry ...");
                embedded.start(false);
                platform = embedded;
            }
            ClusterConfig cluster = platformConfig.cluster().withSetting("application.id", "sieve-demo");
            System.out.println("Starting the stream app with " + cascade.getFileName() + " ...");
            try (Demo demo = Demo.start(cascade, cluster, port, fps, video)) {
                System.out.println();
                System.out.println("Sieve demo at http://127.0.0.1:" + demo.uiPort() + "/   (Ctrl-C stops everything)");
                System.out.println("Metrics at http://127.0.0.1:" + demo.metricsPort() + "/metrics");
                signal.await();
            }
        } finally {
            if (platform != null) {
                try {
                    platform.stop();
                } catch (Exception e) {
                    System.err.println("while stopping: " + e.getMessage());
                }
            }
            // Only now may the JVM exit: the shutdown hook waits for this.
            signal.close();
        }
        return 0;
    }
}
