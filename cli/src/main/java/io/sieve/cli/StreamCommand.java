package io.sieve.cli;

import io.sieve.client.ClusterConfig;
import io.sieve.stream.SieveStreamApp;
import io.sieve.stream.StreamAppConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "stream", mixinStandardHelpOptions = true,
        description = {"Run the cascade as a Kafka Streams application until Ctrl-C.",
            "frames -> stage 0 -> (unsure) frames-stage-1 -> stage 1 -> ... -> predictions; bad input -> dead-letters."})
final class StreamCommand implements Callable<Integer> {
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
        StreamAppConfig config = StreamAppConfig.from(cluster, ModelOptions.home());
        System.out.println("Starting the cascade " + cascade + " on " + cluster.bootstrapServers() + " ...");
        CountDownLatch stopped = new CountDownLatch(1);
        SieveStreamApp app = SieveStreamApp.start(cascade, cluster, config, Duration.ofSeconds(120));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("Stopping ...");
            app.close();
            stopped.countDown();
        }, "sieve-stream-shutdown"));
        System.out.println("Running stages " + app.selectedStages() + " of cascade " + app.cascade().name()
                + (app.metricsPort() != null ? "; metrics at http://" + config.metricsHost() + ":" + app.metricsPort() + "/metrics" : "")
                + ". Ctrl-C stops.");
        stopped.await();
        return 0;
    }
}
