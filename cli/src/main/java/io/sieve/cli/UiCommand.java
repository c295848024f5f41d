package io.sieve.cli;

import io.sieve.client.Brokers;
import io.sieve.client.ClusterConfig;
import io.sieve.platform.PlatformConfig;
import io.sieve.stream.StreamAppConfig;
import io.sieve.client.Topics;
import io.sieve.ui.SieveUi;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "ui", mixinStandardHelpOptions = true,
        description = "Serve the web page that follows queries live, starts them and aborts them, until Ctrl-C.")
final class UiCommand implements Callable<Integer> {
    @Option(names = "--host", defaultValue = PlatformConfig.LOOPBACK,
            description = "Address to bind (default: ${DEFAULT-VALUE}); anything else prints a warning: the page has no login.")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--no-gallery", description = "Do not follow the frames topic for the gallery of recent frames.")
    boolean noGallery;

    @Option(names = "--cascade", defaultValue = "${sys:sieve.home:-.}/models/cascades/default.cascade.json",
            description = "The cascade the stream app runs: its models' classes are the page's target classes (default: ${DEFAULT-VALUE}).")
    Path cascade;

    @Mixin
    ClusterOptions clusterOptions;

    @Override
    public Integer call() throws Exception {
        ClusterConfig cluster = clusterOptions.load();
        Brokers.requireReachable(cluster);
        try (StopSignal stop = StopSignal.install("sieve-ui", null);
             SieveUi ui = start(cluster, ModelCards.ofCascade(cascade).classes(), host, port, !noGallery)) {
            System.out.println("Sieve UI at http://" + host + ":" + ui.port() + "/  (Ctrl-C stops)");
            stop.await();
        }
        return 0;
    }

    static SieveUi start(ClusterConfig cluster, java.util.List<String> classes, String host, int port, boolean gallery) {
        if (!PlatformConfig.isLoopback(host)) {
            System.err.println("WARNING: serving the UI on " + host + ": anyone who can reach it can start and abort queries.");
        }
        Topics topics = new Topics(StreamAppConfig.from(cluster, SieveHome.path()).topicPrefix(), cluster.registryUrl());
        return SieveUi.start(cluster, topics, classes, host, port, gallery);
    }
}
