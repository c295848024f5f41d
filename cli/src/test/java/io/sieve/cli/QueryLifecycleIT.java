package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.client.ClusterConfig;
import io.sieve.platform.PlatformConfig;
import io.sieve.platform.testing.IntegrationTest;
import io.sieve.producer.FramePublisher;
import io.sieve.producer.ProducerRun;
import io.sieve.producer.SyntheticSource;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryState;
import io.sieve.client.QueryClient;
import io.sieve.stream.SieveStreamApp;
import io.sieve.stream.StreamAppConfig;
import io.sieve.client.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Queries on the real broker: an abort stops everything within a second (SIGKILL and restart: {@link FaultToleranceIT}). */
@IntegrationTest
class QueryLifecycleIT {

    @Test
    void anAbortStopsTheProducerTheModelsAndTheQueryWithinOneSecond(PlatformConfig platform, @TempDir Path dir) throws Exception {
        String prefix = "abort-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        ClusterConfig cluster = cluster(platform, prefix, dir);
        Topics topics = new Topics(prefix, platform.registryUrl());
        ProgressLog progress = new ProgressLog();
        try (QueryClient queries = new QueryClient(cluster, topics);
             SieveStreamApp app = SieveStreamApp.start(FixtureCascade.write(dir), cluster, StreamAppConfig.from(cluster, FixtureCascade.home()),
                Duration.ofSeconds(90));
             AutoCloseable follow = queries.followProgress(progress::add)) {
            queries.send(QueryCommand.newBuilder().setQueryId("q-abort").setAction(QueryAction.START).setExpectedFrames(1_000_000L)
                    .setIssuedTime(Instant.now()).build());
            AtomicReference<Long> producerStopped = new AtomicReference<>();
            CompletableFuture<ProducerRun.Result> producer = produceUntilEnded(cluster, topics, queries, "q-abort", "cam-a",
                    new AtomicReference<>(), producerStopped);
            progress.await(p -> p.getFramesSeen() > 100, Duration.ofSeconds(60));

            long abortedAt = System.nanoTime();
            long abortedAtWall = System.currentTimeMillis();
            queries.abort("q-abort");
            long sentMillis = (System.nanoTime() - abortedAt) / 1_000_000;
            Progress aborted = progress.await(p -> p.getState() == QueryState.ABORTED, Duration.ofSeconds(10));
            long finalRecordMillis = (progress.arrivalOf(aborted) - abortedAt) / 1_000_000;
            producer.get(10, TimeUnit.SECONDS);
            long producerMillis = (producerStopped.get() - abortedAt) / 1_000_000;

            Thread.sleep(1000 - Math.min(1000, (System.nanoTime() - abortedAt) / 1_000_000));
            double framesAtOneSecond = framesIn(app);
            Thread.sleep(2000);
            System.out.printf("abort: command on the broker after %d ms, aggregated after %d ms, ABORTED progress after %d ms, producer stopped after %d ms%n",
                    sentMillis, aborted.getEmittedTime().toEpochMilli() - abortedAtWall, finalRecordMillis, producerMillis);
            assertThat(finalRecordMillis).as("final ABORTED progress after the abort (ms; the command was on the broker after %d ms)", sentMillis).isLessThan(1000);
            assertThat(producerMillis).as("producer stopped after the abort (ms)").isLessThan(1000);
            assertThat(framesIn(app)).as("frames run by stage 0 after the first second").isEqualTo(framesAtOneSecond);
            assertThat(aborted.getFramesSeen()).isGreaterThan(100);
        }
    }

    @Test
    void aQueryReachingItsPrecisionEndsItselfAndStopsItsProducerAndModels(PlatformConfig platform, @TempDir Path dir) throws Exception {
        String prefix = "precise-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        ClusterConfig cluster = cluster(platform, prefix, dir);
        Topics topics = new Topics(prefix, platform.registryUrl());
        ProgressLog progress = new ProgressLog();
        try (QueryClient queries = new QueryClient(cluster, topics);
             SieveStreamApp app = SieveStreamApp.start(FixtureCascade.write(dir), cluster, StreamAppConfig.from(cluster, FixtureCascade.home()),
                Duration.ofSeconds(90));
             AutoCloseable follow = queries.followProgress(progress::add)) {
            // +-10 points of a million frames: reached after a few hundred, long before the producer would run out.
            queries.send(QueryCommand.newBuilder().setQueryId("q-precise").setAction(QueryAction.START).setExpectedFrames(1_000_000L)
                    .setTargetClass("automobile").setPrecisionShare(0.10).setIssuedTime(Instant.now()).build());
            AtomicReference<QueryAction> ended = new AtomicReference<>();
            AtomicReference<Long> producerStopped = new AtomicReference<>();
            CompletableFuture<ProducerRun.Result> producer = produceUntilEnded(cluster, topics, queries, "q-precise", "cam-p", ended,
                    producerStopped);
            Progress done = progress.await(p -> p.getState() != QueryState.RUNNING, Duration.ofSeconds(90));
            long finalAt = progress.arrivalOf(done);
            ProducerRun.Result sent = producer.get(10, TimeUnit.SECONDS);
            long producerMillis = (producerStopped.get() - finalAt) / 1_000_000;
            double framesAfterStop = framesIn(app);
            Thread.sleep(2000);
            System.out.printf("precision: DONE_AT_PRECISION after %d frames (+-%.1f points), producer stopped %d ms after the final "
                    + "progress, having sent %d frames%n", done.getFramesSeen(), 100 * done.getPrecision().getShareHalfWidth(), producerMillis,
                    sent.sent());
            assertThat(done.getState()).isEqualTo(QueryState.DONE_AT_PRECISION);
            assertThat(done.getPrecision().getReached()).isTrue();
            assertThat(done.getPrecision().getShareHalfWidth()).isLessThanOrEqualTo(0.10);
            assertThat(ended.get()).isEqualTo(QueryAction.STOP);
            assertThat(producerMillis).as("producer stopped after the final progress (ms)").isLessThan(1000);
            assertThat(framesIn(app)).as("frames run by stage 0 after the stop").isEqualTo(framesAfterStop);
            assertThat(queries.latestCommand("q-precise")).get().extracting(QueryCommand::getAction).isEqualTo(QueryAction.STOP);
        }
    }

    @Test
    void aMalformedQueryCommandOnTheBrokerIsDeadLetteredRawAndTheNextQueryStillRuns(PlatformConfig platform, @TempDir Path dir)
            throws Exception {
        String prefix = "badcmd-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        ClusterConfig cluster = cluster(platform, prefix, dir);
        Topics topics = new Topics(prefix, platform.registryUrl());
        ProgressLog progress = new ProgressLog();
        byte[] garbage = {0, 0, 0, 0, 1, (byte) 0xff, (byte) 0xfe};
        try (SieveStreamApp app = SieveStreamApp.start(FixtureCascade.write(dir), cluster, StreamAppConfig.from(cluster, FixtureCascade.home()),
                Duration.ofSeconds(90));
             QueryClient queries = new QueryClient(cluster, topics);
             AutoCloseable follow = queries.followProgress(progress::add);
             var raw = new org.apache.kafka.clients.producer.KafkaProducer<>(cluster.kafkaProperties(),
                     new org.apache.kafka.common.serialization.StringSerializer(),
                     new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            raw.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topics.queries().name(), "q-garbage", garbage)).get();
            queries.send(QueryCommand.newBuilder().setQueryId("q-after").setAction(QueryAction.START)
                    .setExpectedFrames(50L).setIssuedTime(Instant.now()).build());
            FixtureCascade.publish(cluster, topics, List.of(new SyntheticSource("cam-b", 32, 32, 50)), "q-after", 0);
            assertThat(progress.await(p -> p.getQueryId().equals("q-after") && p.getState() == QueryState.DONE, Duration.ofSeconds(60))
                    .getFramesSeen()).isEqualTo(50);
        }
        List<byte[]> deadLettered = new java.util.ArrayList<>();
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(java.util.Map.<String, Object>of(
                "bootstrap.servers", platform.bootstrapServers(), "group.id", "check-" + UUID.randomUUID(), "auto.offset.reset", "earliest"),
                new org.apache.kafka.common.serialization.StringDeserializer(), new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topics.rawDeadLetters()));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (deadLettered.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> deadLettered.add(r.value()));
            }
        }
        assertThat(deadLettered).as("records on " + topics.rawDeadLetters()).hasSize(1);
        assertThat(deadLettered.get(0)).isEqualTo(garbage);
    }

    /**
     * A camera sending synthetic frames of {@code queryId} at 300 frames/s until the query is ended
     * (aborted or stopped at its precision), as {@code produce --query} does; {@code ended} gets the
     * command's action and {@code stoppedAt} the moment it stopped.
     */
    private static CompletableFuture<ProducerRun.Result> produceUntilEnded(ClusterConfig cluster, Topics topics, QueryClient queries,
                                                                          String queryId, String camera, AtomicReference<QueryAction> ended,
                                                                          AtomicReference<Long> stoppedAt) {
        return CompletableFuture.supplyAsync(() -> {
            AtomicBoolean stop = new AtomicBoolean();
            try (FramePublisher publisher = new FramePublisher(cluster, topics.frames(0).name(), 8, Duration.ofMillis(20));
                 AutoCloseable watch = queries.onEnd(queryId, action -> {
                     ended.set(action);
                     stop.set(true);
                 })) {
                ProducerRun.Result result = ProducerRun.run(List.of(new SyntheticSource(camera, 32, 32, 0)), publisher, 300, queryId, stop,
                        n -> { });
                stoppedAt.set(System.nanoTime());
                return result;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static ClusterConfig cluster(PlatformConfig platform, String prefix, Path dir) {
        return platform.cluster().withSetting("topic.prefix", prefix).withSetting("application.id", prefix + "app")
                .withSetting("metrics.port", "0").withSetting("state.dir", dir.resolve("state").toString());
    }

    private static double framesIn(SieveStreamApp app) {
        return PrometheusText.samples(app.scrapeMetrics(), "sieve_stage_frames_in_total", "stage=\"0\"").sum();
    }
}
