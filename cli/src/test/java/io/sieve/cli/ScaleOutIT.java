package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.client.ClusterConfig;
import io.sieve.platform.PlatformConfig;
import io.sieve.platform.testing.IntegrationTest;
import io.sieve.platform.testing.PlatformExtension;
import io.sieve.producer.SyntheticSource;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryState;
import io.sieve.client.QueryClient;
import io.sieve.client.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several stream-app JVMs on one multi-partition topic: they share the work, and losing one loses nothing. */
@IntegrationTest
class ScaleOutIT {
    private static final int FRAMES = 4000;

    @Test
    void twoInstancesShareTheFramesAndOneKilledHalfwayLosesAndDoublesNothing(PlatformConfig platform, @TempDir Path dir) throws Exception {
        Path cascade = FixtureCascade.write(dir);
        String prefix = "scale-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        Topics topics = new Topics(prefix, platform.registryUrl());
        ClusterConfig cluster = platform.cluster().withSetting("topic.prefix", prefix);
        AtomicReference<Progress> done = new AtomicReference<>();
        Process a = FixtureCascade.streamApp(platform, prefix, dir.resolve("a"), cascade, "all", 0);
        Process b = FixtureCascade.streamApp(platform, prefix, dir.resolve("b"), cascade, "all", 0);
        awaitRunning(Map.of(a, dir.resolve("a"), b, dir.resolve("b")));
        try (QueryClient queries = new QueryClient(cluster, topics); AutoCloseable follow = queries.followProgress(p -> {
            if (p.getState() == QueryState.DONE) {
                done.set(p);
            }
        })) {
            queries.send(QueryCommand.newBuilder().setQueryId("q-scale").setAction(QueryAction.START).setExpectedFrames((long) FRAMES)
                    .setIssuedTime(Instant.now()).build());
            produce(cluster, topics, FRAMES / 2);
            PredictionCounts.perFrame(platform, topics, FRAMES / 4, Duration.ofSeconds(120));
            b.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            produce(cluster, topics, FRAMES / 2);
            Map<String, Integer> predictions = PredictionCounts.perFrame(platform, topics, FRAMES, Duration.ofSeconds(240));
            assertThat(predictions).as(() -> {
                try {
                    return Files.readString(dir.resolve("a/stream-app.log"));
                } catch (Exception e) {
                    return e.toString();
                }
            }).hasSize(FRAMES);
            assertThat(predictions.values()).allSatisfy(count -> assertThat(count).isEqualTo(1));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (done.get() == null && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(done.get()).as("the query completes").isNotNull();
            assertThat(done.get().getFramesSeen()).isEqualTo(FRAMES);
        } finally {
            a.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            b.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void twoInstancesOfTheExpensiveStageAloneBothTakeWork(PlatformConfig platform, @TempDir Path dir) throws Exception {
        // Stage 0 passes every frame on, so that all of them need the expensive stage.
        Path cascade = FixtureCascade.write(dir, 2.0);
        String prefix = "split-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        Topics topics = new Topics(prefix, platform.registryUrl());
        ClusterConfig cluster = platform.cluster().withSetting("topic.prefix", prefix);
        int[] ports = PlatformExtension.freePorts(2);
        Process cheap = FixtureCascade.streamApp(platform, prefix, dir.resolve("cheap"), cascade, "0", 0);
        Process first = FixtureCascade.streamApp(platform, prefix, dir.resolve("e1"), cascade, "1", ports[0]);
        Process second = FixtureCascade.streamApp(platform, prefix, dir.resolve("e2"), cascade, "1", ports[1]);
        // Both expensive instances must be in the group (RUNNING after their rebalance) before frames arrive.
        awaitRunning(Map.of(cheap, dir.resolve("cheap"), first, dir.resolve("e1"), second, dir.resolve("e2")));
        try {
            produce(cluster, topics, 2000);
            Map<String, Integer> predictions = PredictionCounts.perFrame(platform, topics, 2000, Duration.ofSeconds(240));
            assertThat(predictions).hasSize(2000);
            assertThat(predictions.values()).allSatisfy(count -> assertThat(count).isEqualTo(1));
            assertThat(expensiveFrames(ports[0])).as("frames run by expensive-stage instance 1").isGreaterThan(0);
            assertThat(expensiveFrames(ports[1])).as("frames run by expensive-stage instance 2").isGreaterThan(0);
        } finally {
            for (Process p : List.of(cheap, first, second)) {
                p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** All of them within one 120 s deadline: they start side by side. */
    private static void awaitRunning(Map<Process, Path> appDirs) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        for (Map.Entry<Process, Path> app : appDirs.entrySet()) {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            FixtureCascade.awaitRunning(app.getKey(), app.getValue().resolve("stream-app.log"), left);
        }
    }

    private static double expensiveFrames(int port) throws Exception {
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return PrometheusText.samples(body, "sieve_stage_frames_in_total", "stage=\"1\"").sum();
    }

    private static int produced;

    private static void produce(ClusterConfig cluster, Topics topics, int frames) {
        List<SyntheticSource> cameras = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            cameras.add(new SyntheticSource("cam-" + c + "-" + produced, 32, 32, frames / 8));
        }
        produced++;
        FixtureCascade.publish(cluster, topics, cameras, "q-scale", 0);
    }
}
