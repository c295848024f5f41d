package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.platform.ClusterConfig;
import io.sieve.platform.PlatformConfig;
import io.sieve.platform.testing.IntegrationTest;
import io.sieve.producer.FramePublisher;
import io.sieve.producer.ProducerRun;
import io.sieve.producer.SyntheticSource;
import io.sieve.schemas.ClassEstimate;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryState;
import io.sieve.stream.QueryClient;
import io.sieve.stream.SieveStreamApp;
import io.sieve.stream.StreamAppConfig;
import io.sieve.stream.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Queries on the real broker: abort within a second; a stream app killed mid-query loses and doubles nothing. */
@IntegrationTest
class QueryLifecycleIT {

    @Test
    void anAbortStopsTheProducerTheModelsAndTheQueryWithinOneSecond(PlatformConfig platform, @TempDir Path dir) throws Exception {
        String prefix = "abort-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        ClusterConfig cluster = cluster(platform, prefix, dir);
        Topics topics = new Topics(prefix, platform.registryUrl());
        QueryClient queries = new QueryClient(cluster, topics);
        ProgressLog progress = new ProgressLog();
        try (SieveStreamApp app = SieveStreamApp.start(FixtureCascade.write(dir), cluster, StreamAppConfig.from(cluster, FixtureCascade.home()),
                Duration.ofSeconds(90));
             AutoCloseable follow = queries.followProgress(progress::add)) {
            queries.send(QueryCommand.newBuilder().setQueryId("q-abort").setAction(QueryAction.START).setExpectedFrames(1_000_000L)
                    .setIssuedTime(Instant.now()).build());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Long> producerStopped = new AtomicReference<>();
            CompletableFuture<ProducerRun.Result> producer = CompletableFuture.supplyAsync(() -> {
                try (FramePublisher publisher = new FramePublisher(cluster, topics.stageInputName(0), 8, Duration.ofMillis(20));
                     AutoCloseable watch = queries.onAbort("q-abort", () -> stop.set(true))) {
                    ProducerRun.Result result = ProducerRun.run(List.of(new SyntheticSource("cam-a", 32, 32, 0)), publisher, 300,
                            "q-abort", stop, n -> { });
                    producerStopped.set(System.nanoTime());
                    return result;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            progress.await(p -> p.getFramesSeen() > 100, Duration.ofSeconds(60));

            long abortedAt = System.nanoTime();
            queries.abort("q-abort");
            Progress aborted = progress.await(p -> p.getState() == QueryState.ABORTED, Duration.ofSeconds(10));
            long finalRecordMillis = (progress.arrivalOf(aborted) - abortedAt) / 1_000_000;
            producer.get(10, TimeUnit.SECONDS);
            long producerMillis = (producerStopped.get() - abortedAt) / 1_000_000;

            Thread.sleep(1000 - Math.min(1000, (System.nanoTime() - abortedAt) / 1_000_000));
            double framesAtOneSecond = framesIn(app);
            Thread.sleep(2000);
            assertThat(finalRecordMillis).as("final ABORTED progress after the abort (ms)").isLessThan(1000);
            assertThat(producerMillis).as("producer stopped after the abort (ms)").isLessThan(1000);
            assertThat(framesIn(app)).as("frames run by stage 0 after the first second").isEqualTo(framesAtOneSecond);
            assertThat(aborted.getFramesSeen()).isGreaterThan(100);
        }
    }

    @Test
    void aQueryWhoseStreamAppIsKilledMidwayEndsWithTheSameCountsAsAnUninterruptedOne(PlatformConfig platform, @TempDir Path dir)
            throws Exception {
        Path cascade = FixtureCascade.write(dir);
        Progress uninterrupted = runQuery(platform, dir.resolve("a"), cascade, false);
        Progress killed = runQuery(platform, dir.resolve("b"), cascade, true);
        assertThat(uninterrupted.getState()).isEqualTo(QueryState.DONE);
        assertThat(killed.getState()).isEqualTo(QueryState.DONE);
        assertThat(killed.getFramesSeen()).isEqualTo(uninterrupted.getFramesSeen()).isEqualTo(3000);
        assertThat(killed.getClasses().stream().map(ClassEstimate::getPredicted).toList())
                .isEqualTo(uninterrupted.getClasses().stream().map(ClassEstimate::getPredicted).toList());
    }

    /** Runs a 3,000-frame query through a stream app in its own JVM, optionally SIGKILLing it a third of the way. */
    private static Progress runQuery(PlatformConfig platform, Path dir, Path cascade, boolean kill) throws Exception {
        String prefix = "kill-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        ClusterConfig cluster = cluster(platform, prefix, dir);
        Topics topics = new Topics(prefix, platform.registryUrl());
        QueryClient queries = new QueryClient(cluster, topics);
        ProgressLog progress = new ProgressLog();
        Process app = FixtureCascade.streamApp(platform, prefix, dir, cascade, "all", 0);
        try (AutoCloseable follow = queries.followProgress(progress::add)) {
            queries.send(QueryCommand.newBuilder().setQueryId("q").setAction(QueryAction.START).setExpectedFrames(3000L)
                    .setIssuedTime(Instant.now()).build());
            try (FramePublisher publisher = new FramePublisher(cluster, topics.stageInputName(0), 16, Duration.ofMillis(50))) {
                ProducerRun.run(List.of(new SyntheticSource("cam-k", 32, 32, 3000)), publisher, 0, "q", new AtomicBoolean(), n -> { });
            }
            if (kill) {
                progress.await(p -> p.getFramesSeen() >= 1000, Duration.ofSeconds(120));
                app.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                app = FixtureCascade.streamApp(platform, prefix, dir, cascade, "all", 0);
            }
            return progress.await(p -> p.getState() == QueryState.DONE, Duration.ofSeconds(180));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nstream app log:\n" + java.nio.file.Files.readString(dir.resolve("stream-app.log")), e);
        } finally {
            app.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static ClusterConfig cluster(PlatformConfig platform, String prefix, Path dir) {
        return ClusterConfig.of(platform).withSetting("topic.prefix", prefix).withSetting("application.id", prefix + "app")
                .withSetting("metrics.port", "0").withSetting("state.dir", dir.resolve("state").toString());
    }

    private static double framesIn(SieveStreamApp app) {
        return app.scrapeMetrics().lines().filter(l -> l.startsWith("sieve_stage_frames_in_total") && l.contains("stage=\"0\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** Progress records as they arrive, with their arrival times. */
    private static final class ProgressLog {
        private final List<Progress> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final Map<Progress, Long> arrivals = new ConcurrentHashMap<>();

        void add(Progress p) {
            arrivals.put(p, System.nanoTime());
            records.add(p);
        }

        long arrivalOf(Progress p) {
            return arrivals.get(p);
        }

        Progress await(Predicate<Progress> condition, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (Progress p : records) {
                    if (condition.test(p)) {
                        return p;
                    }
                }
                Thread.sleep(20);
            }
            throw new AssertionError("no progress record matched within " + timeout + "; last: "
                    + (records.isEmpty() ? "none" : records.get(records.size() - 1)));
        }
    }
}
