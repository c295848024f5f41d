package io.sieve.cli;

import io.sieve.cascade.definition.ReliabilityTable;
import io.sieve.cascade.model.ConfidenceMeasure;
import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.client.ClusterConfig;
import io.sieve.platform.PlatformConfig;
import io.sieve.producer.FramePublisher;
import io.sieve.producer.FrameSource;
import io.sieve.producer.ProducerRun;
import io.sieve.client.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/** A two-stage cascade of the tiny untrained test models, with calibration tables, for fast end-to-end tests. */
final class FixtureCascade {
    private FixtureCascade() {
    }

    /**
     * Starts {@code ./sieve stream} in its own JVM, as a deployment runs it, against the given
     * platform, with its log in {@code dir/stream-app.log}.
     *
     * @param metricsPort 0 for no metrics endpoint
     */
    static Process streamApp(PlatformConfig platform, String prefix, Path dir, Path cascade, String stages, int metricsPort)
            throws Exception {
        Files.createDirectories(dir);
        return sieve(platform, prefix, dir.resolve("stream-app.log"), Map.of(
                "SIEVE_APPLICATION_ID", prefix + "app-" + stages,
                "SIEVE_METRICS_PORT", Integer.toString(metricsPort),
                "SIEVE_STATE_DIR", dir.resolve("state").toString(),
                // A killed instance's partitions move on after its session times out: 10 s instead of the default 45 s.
                "SIEVE_KAFKA_SESSION_TIMEOUT_MS", "10000"),
                "stream", "--cascade", cascade.toString(), "--stages", stages);
    }

    /**
     * Waits until the stream app {@code app}, writing {@code log}, says it runs its stages (its Kafka
     * Streams is RUNNING); fails at once, with the log, when the app exits first or the timeout passes.
     */
    static void awaitRunning(Process app, Path log, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!(Files.exists(log) && Files.readString(log).contains("Running stages"))) {
            if (!app.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the stream app logging to " + log
                        + (app.isAlive() ? " did not start in " + timeout : " exited with code " + app.exitValue() + " before it ran")
                        + ":\n" + (Files.exists(log) ? Files.readString(log) : ""));
            }
            Thread.sleep(200);
        }
    }

    /**
     * Starts a {@code ./sieve} command in its own JVM, as a deployment runs it, against the platform with
     * the given topic prefix and further environment, its output appended to {@code log}.
     */
    static Process sieve(PlatformConfig platform, String prefix, Path log, Map<String, String> env, String... args) throws Exception {
        Path home = home();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dsieve.home=" + home, "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.sieve.schemas",
                "-jar", home.resolve("cli/target/sieve-cli.jar").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("SIEVE_BOOTSTRAP_SERVERS", platform.bootstrapServers());
        builder.environment().put("SIEVE_REGISTRY_URL", platform.registryUrl());
        builder.environment().put("SIEVE_TOPIC_PREFIX", prefix);
        builder.environment().putAll(env);
        return builder.start();
    }

    /**
     * Publishes {@code sources} to stage 0's topic in records of up to 16 frames (50 ms at most), as
     * {@code queryId}'s frames, and returns once the broker has them all.
     *
     * @param fps frames per second per camera; 0 = as fast as possible
     */
    static void publish(ClusterConfig cluster, Topics topics, List<? extends FrameSource> sources, String queryId, double fps) {
        try (FramePublisher publisher = new FramePublisher(cluster, topics.frames(0).name(), 16, Duration.ofMillis(50))) {
            ProducerRun.run(sources, publisher, fps, queryId, new AtomicBoolean(), n -> { });
        }
    }

    static Path home() {
        return Path.of(System.getProperty("sieve.home", "..")).toAbsolutePath().normalize();
    }

    static Path write(Path dir) throws Exception {
        return write(dir, 0.105);
    }

    /** @param threshold stage 0's exit threshold; above 1 sends every frame on to stage 1 */
    static Path write(Path dir, double threshold) throws Exception {
        Path fixtures = home().resolve("cascade/src/test/resources/fixtures");
        int[][] confusion = new int[10][10];
        for (int i = 0; i < 10; i++) {
            confusion[i][i] = 60;
            confusion[i][(i + 1) % 10] = 40;
        }
        var reliability = new ReliabilityTable(List.of(new ReliabilityTable.Bin(0, 1, 100, 60)));
        CascadeDefinition definition = new CascadeDefinition("fixture", List.of(
                new CascadeDefinition.StageDefinition(fixtures.resolve("tiny_logits.card.json").toString(),
                        ConfidenceMeasure.MAX_PROBABILITY, threshold, null, null, reliability, confusion, null),
                new CascadeDefinition.StageDefinition(fixtures.resolve("tiny_softmax.card.json").toString(),
                        ConfidenceMeasure.MAX_PROBABILITY, null, null, null, reliability, confusion, null)), null, null);
        Path file = dir.resolve("fixture.cascade.json");
        definition.write(file);
        return file;
    }
}
