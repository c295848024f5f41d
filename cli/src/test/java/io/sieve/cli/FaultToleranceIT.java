package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.client.ClusterConfig;
import io.sieve.platform.EmbeddedPlatform;
import io.sieve.platform.PlatformConfig;
import io.sieve.platform.testing.IntegrationTest;
import io.sieve.platform.testing.PlatformExtension;
import io.sieve.producer.SyntheticSource;
import io.sieve.schemas.ClassEstimate;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryState;
import io.sieve.client.QueryClient;
import io.sieve.stream.SieveStreamApp;
import io.sieve.stream.StreamAppConfig;
import io.sieve.client.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault injection on the real broker: the stream app SIGKILLed mid-query and restarted (a
 * benchmark-style series of trials: {@code -Dsieve.fault.trials=10}; 2 by default, as CI runs it),
 * the broker restarted mid-query, and the producer SIGKILLed mid-query.
 */
@IntegrationTest
class FaultToleranceIT {
    private static final int FRAMES = 3000;
    private static final int TRIALS = Integer.getInteger("sieve.fault.trials", 2);

    @Test
    void aStreamAppKilledMidQueryAndRestartedLosesNothingCountsNothingTwiceAndResumesFromItsState(PlatformConfig platform,
                                                                                                   @TempDir Path dir) throws Exception {
        Path cascade = FixtureCascade.write(dir);
        Run reference = runQuery(platform, dir.resolve("reference"), cascade, -1);
        assertThat(reference.done.getFramesSeen()).isEqualTo(FRAMES);
        assertThat(reference.predictionsPerFrame).hasSize(FRAMES);
        List<String> table = new ArrayList<>();
        table.add("| trial | killed at frames seen | first progress after restart (frames seen) | restart to first progress (s) | kill to DONE (s) |");
        table.add("| ---: | ---: | ---: | ---: | ---: |");
        for (int trial = 0; trial < TRIALS; trial++) {
            double fraction = 0.15 + 0.45 * trial / Math.max(1, TRIALS - 1);
            Run killed = runQuery(platform, dir.resolve("trial-" + trial), cascade, (int) (fraction * FRAMES));
            String where = "trial " + trial + " (killed at " + killed.seenAtKill + " frames seen)";
            assertThat(killed.done.getState()).as(where).isEqualTo(QueryState.DONE);
            assertThat(killed.done.getFramesSeen()).as(where).isEqualTo(FRAMES);
            assertThat(killed.predictionsPerFrame).as(where + ": frames with a prediction").hasSize(FRAMES);
            assertThat(killed.predictionsPerFrame.values()).as(where + ": predictions per frame").containsOnly(1);
            assertThat(killed.done.getClasses().stream().map(ClassEstimate::getPredicted).toList()).as(where)
                    .isEqualTo(reference.done.getClasses().stream().map(ClassEstimate::getPredicted).toList());
            // Committed progress never goes back: the restarted aggregator went on from its restored state.
            assertThat(killed.seenInOrder).as(where).isSorted();
            assertThat(killed.firstAfterRestart).as(where).isGreaterThanOrEqualTo(killed.seenAtKill);
            table.add(String.format(java.util.Locale.ROOT, "| %d | %d | %d | %.1f | %.1f |", trial + 1, killed.seenAtKill,
                    killed.firstAfterRestart, killed.restartToProgressMillis / 1000.0, killed.killToDoneMillis / 1000.0));
        }
        System.out.println("SIGKILL trials (" + TRIALS + "), " + FRAMES + " frames each:\n" + String.join("\n", table));
    }

    @Test
    void aBrokerRestartedMidQueryLetsProcessingResumeWithEveryFrameCountedOnce(@TempDir Path dir) throws Exception {
        // Its own broker, so that restarting it disturbs no other test.
        EmbeddedPlatform own = new EmbeddedPlatform(PlatformExtension.freshConfig());
        own.start(false);
        try {
            PlatformConfig platform = own.config();
            String prefix = "broker-restart-";
            ClusterConfig cluster = platform.cluster().withSetting("topic.prefix", prefix).withSetting("metrics.port", "0")
                    .withSetting("application.id", prefix + "app").withSetting("state.dir", dir.resolve("state").toString());
            Topics topics = new Topics(prefix, platform.registryUrl());
            ProgressLog progress = new ProgressLog();
            try (SieveStreamApp app = SieveStreamApp.start(FixtureCascade.write(dir), cluster, StreamAppConfig.from(cluster,
                    FixtureCascade.home()), Duration.ofSeconds(90))) {
                try (QueryClient queries = new QueryClient(cluster, topics); AutoCloseable follow = queries.followProgress(progress::add)) {
                    queries.send(start("q-broker", FRAMES));
                    produce(cluster, topics, "cam-before", FRAMES / 2, "q-broker");
                    progress.await(p -> p.getFramesSeen() >= FRAMES / 4, Duration.ofSeconds(120));
                    own.restartBroker();
                    produce(cluster, topics, "cam-after", FRAMES / 2, "q-broker");
                    Progress done = progress.await(p -> p.getState() == QueryState.DONE, Duration.ofSeconds(240));
                    assertThat(done.getFramesSeen()).isEqualTo(FRAMES);
                }
                Map<String, Integer> perFrame = PredictionCounts.perFrame(platform, topics, FRAMES, Duration.ofSeconds(60));
                assertThat(perFrame).hasSize(FRAMES);
                assertThat(perFrame.values()).containsOnly(1);
            }
        } finally {
            own.stop();
        }
    }

    @Test
    void aProducerKilledMidQueryLeavesTheQueryReportingTheFramesItActuallySent(PlatformConfig platform, @TempDir Path dir)
            throws Exception {
        String prefix = "producer-kill-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        ClusterConfig cluster = platform.cluster().withSetting("topic.prefix", prefix).withSetting("metrics.port", "0")
                .withSetting("application.id", prefix + "app").withSetting("state.dir", dir.resolve("state").toString());
        Topics topics = new Topics(prefix, platform.registryUrl());
        ProgressLog progress = new ProgressLog();
        try (SieveStreamApp app = SieveStreamApp.start(FixtureCascade.write(dir), cluster, StreamAppConfig.from(cluster,
                FixtureCascade.home()), Duration.ofSeconds(90));
             QueryClient queries = new QueryClient(cluster, topics);
             AutoCloseable follow = queries.followProgress(progress::add)) {
            Process producer = FixtureCascade.sieve(platform, prefix, dir.resolve("produce.log"), Map.of(), "produce", "--synthetic", "--camera", "cam-p",
                    "--limit", "100000", "--fps", "300", "--query", "q-producer", "--batch", "8");
            progress.await(p -> p.getQueryId().equals("q-producer") && p.getFramesSeen() >= 300, Duration.ofSeconds(120));
            producer.destroyForcibly().waitFor(30, TimeUnit.SECONDS);

            long sent = framesOnTopic(platform, topics, "q-producer");
            assertThat(sent).isBetween(300L, 100_000L - 1);
            Progress last = progress.await(p -> p.getQueryId().equals("q-producer") && p.getFramesSeen() == sent, Duration.ofSeconds(60));
            assertThat(last.getState()).isEqualTo(QueryState.RUNNING);
            assertThat(last.getFramesExpected()).isEqualTo(100_000L);
            Thread.sleep(2000);
            assertThat(progress.last("q-producer").getFramesSeen()).as("nothing counted beyond what was sent").isEqualTo(sent);
        }
    }

    /** What one query run through a stream-app JVM showed, optionally with a SIGKILL when {@code killAt} frames were seen. */
    private static final class Run {
        Progress done;
        long seenAtKill;
        long firstAfterRestart;
        long restartToProgressMillis;
        long killToDoneMillis;
        List<Long> seenInOrder;
        Map<String, Integer> predictionsPerFrame;
    }

    private static Run runQuery(PlatformConfig platform, Path dir, Path cascade, int killAt) throws Exception {
        String prefix = "fault-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        ClusterConfig cluster = platform.cluster().withSetting("topic.prefix", prefix);
        Topics topics = new Topics(prefix, platform.registryUrl());
        ProgressLog progress = new ProgressLog();
        Run run = new Run();
        Process app = FixtureCascade.streamApp(platform, prefix, dir, cascade, "all", 0);
        try (QueryClient queries = new QueryClient(cluster, topics); AutoCloseable follow = queries.followProgress(progress::add)) {
            queries.send(start("q", FRAMES));
            // Paced, so that the query is still running when the kill comes: 3,000 frames take 10 s, and
            // progress (every 500 ms) can lag the true count by 150 frames. Only once the app runs: frames
            // published while it starts pile up, and on a slow machine it then ran through all of them in
            // about 3 s, finishing the query before the kill.
            FixtureCascade.awaitRunning(app, dir.resolve("stream-app.log"), Duration.ofSeconds(120));
            Thread producer = new Thread(() -> produce(cluster, topics, "cam-k", FRAMES, "q", 300), "fault-producer");
            producer.start();
            long killedAt = System.nanoTime();
            if (killAt >= 0) {
                Progress atKill = progress.await(p -> p.getFramesSeen() >= killAt, Duration.ofSeconds(120));
                run.seenAtKill = atKill.getFramesSeen();
                app.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                assertThat(progress.records).as("the kill must come mid-query").noneMatch(p -> p.getState() == QueryState.DONE);
                killedAt = System.nanoTime();
                int before = progress.size();
                app = FixtureCascade.streamApp(platform, prefix, dir, cascade, "all", 0);
                long restarted = System.nanoTime();
                Progress first = progress.awaitAfter(before, p -> true, Duration.ofSeconds(180));
                run.firstAfterRestart = first.getFramesSeen();
                run.restartToProgressMillis = (progress.arrivalOf(first) - restarted) / 1_000_000;
            }
            producer.join();
            run.done = progress.await(p -> p.getState() == QueryState.DONE, Duration.ofSeconds(180));
            run.killToDoneMillis = (progress.arrivalOf(run.done) - killedAt) / 1_000_000;
            run.seenInOrder = progress.records.stream().map(Progress::getFramesSeen).toList();
            run.predictionsPerFrame = PredictionCounts.perFrame(platform, topics, FRAMES, Duration.ofSeconds(60));
            return run;
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nstream app log:\n" + Files.readString(dir.resolve("stream-app.log")), e);
        } finally {
            app.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static QueryCommand start(String id, long frames) {
        return QueryCommand.newBuilder().setQueryId(id).setAction(QueryAction.START).setExpectedFrames(frames)
                .setIssuedTime(Instant.now()).build();
    }

    private static void produce(ClusterConfig cluster, Topics topics, String camera, int frames, String queryId) {
        produce(cluster, topics, camera, frames, queryId, 0);
    }

    /** @param fps frames per second; 0 = as fast as possible */
    private static void produce(ClusterConfig cluster, Topics topics, String camera, int frames, String queryId, double fps) {
        FixtureCascade.publish(cluster, topics, List.of(new SyntheticSource(camera, 32, 32, frames)), queryId, fps);
    }

    /** Frames of a query on the frames topic: what its producer got onto the broker. */
    private static long framesOnTopic(PlatformConfig platform, Topics topics, String queryId) {
        long frames = 0;
        try (var consumer = PredictionCounts.consumer(platform, topics.frames(0).valueSerde().deserializer())) {
            consumer.subscribe(List.of(topics.frames(0).name()));
            long quietSince = System.nanoTime();
            while (System.nanoTime() - quietSince < Duration.ofSeconds(3).toNanos()) {
                var records = consumer.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    quietSince = System.nanoTime();
                }
                for (var record : records) {
                    FrameBatch batch = record.value();
                    frames += batch.getFrames().stream().filter(f -> queryId.equals(f.getQueryId())).count();
                }
            }
        }
        return frames;
    }
}
