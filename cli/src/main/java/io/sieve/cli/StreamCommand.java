package io.sieve.cli;

import io.sieve.client.ClusterConfig;
import io.sieve.stream.SieveStreamApp;
import io.sieve.stream.StreamAppConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "stream", mixinStandardHelpOptions = true,
        description = {"Run the cascade as a Kafka Streams application until Ctrl-C.",
            "frames -> stage 0 -> (unsure) frames-stage-1 -> stage 1 -> ... -> predictions; bad input -> dead-letters."})
final class StreamCommand implements Callable<Integer> {
    /** The exit code when Kafka Streams stops on its own: not 1 (a usage or start-up error), so supervisors can tell. */
    static final int EXIT_PROCESSING_FAILED = 3;
    private static final long FAILURE_CHECK_MILLIS = 500;

    @Option(names = "--cascade", defaultValue = "${sys:sieve.home:-.}/models/cascades/default.cascade.json",
            description = "Cascade file (default: ${DEFAULT-VALUE}).")
    Path cascade;

    @Option(names = "--stages", description = "Stages this instance runs: 'all' (default) or e.g. '0' or '1'; "
            + "instances running the same stages share their partitions.")
    String stages;

    @Mixin
    ClusterOptions clusterOptions;

    @Override
    public Integer call() throws InterruptedException {
        ClusterConfig cluster = clusterOptions.load();
        if (stages != null) {
            cluster = cluster.withSetting("stages", stages);
        }
        StreamAppConfig config = StreamAppConfig.from(cluster, SieveHome.path());
        System.out.println("Starting the cascade " + cascade + " on " + cluster.bootstrapServers() + " ...");
        try (StopSignal stop = StopSignal.install("sieve-stream", "Stopping ...");
             SieveStreamApp app = SieveStreamApp.start(cascade, cluster, config, Duration.ofSeconds(120))) {
            System.out.println("Running stages " + app.selectedStages() + " of cascade " + app.cascade().name()
                    + (app.metricsPort() != null ? "; metrics at http://" + config.metricsHost() + ":" + app.metricsPort() + "/metrics" : "")
                    + ". Ctrl-C stops.");
            while (!stop.await(FAILURE_CHECK_MILLIS)) {
                Optional<String> failure = app.failure();
                if (failure.isPresent()) {
                    System.err.println("sieve stream: processing stopped: " + failure.get()
                            + "; exiting so that a supervisor restarts it");
                    return EXIT_PROCESSING_FAILED;
                }
            }
        }
        return 0;
    }
}
