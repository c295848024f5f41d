package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.cascade.runtime.Cascade;
import io.sieve.cascade.runtime.StageDecision;
import io.sieve.client.ClusterConfig;
import io.sieve.client.QueryClient;
import io.sieve.client.Topics;
import io.sieve.images.Image;
import io.sieve.platform.EmbeddedPlatform;
import io.sieve.platform.PlatformConfig;
import io.sieve.platform.testing.IntegrationTest;
import io.sieve.platform.testing.PlatformExtension;
import io.sieve.producer.FramePublisher;
import io.sieve.producer.ListSource;
import io.sieve.producer.ProducerRun;
import io.sieve.schemas.ClassEstimate;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryState;
import io.sieve.stream.SieveStreamApp;
import io.sieve.stream.StreamAppConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real 3-broker KRaft cluster on this machine (replication factor 3, 2 in sync): the leader of a
 * frames partition SIGKILLed mid-query, a rolling restart of every broker under load, the registry
 * SIGKILLed mid-query. Each time every frame is decided exactly once and the query's final class
 * counts equal the in-process cascade's on the same frames. A series of broker-kill trials:
 * {@code -Dsieve.cluster.trials=10} (1 by default, as CI runs it).
 */
@IntegrationTest
class ClusterFailoverIT {
    private static final int FRAMES = 600;
    private static final int TRIALS = Integer.getInteger("sieve.cluster.trials", 1);
    private static EmbeddedPlatform cluster;
    private static List<Image> images;
    private static Map<Integer, Long> inProcessCounts;

    @BeforeAll
    static void startCluster(@TempDir Path dir) throws Exception {
        cluster = new EmbeddedPlatform(PlatformExtension.freshConfig(3));
        cluster.start(false);
        Random random = new Random(11);
        images = new ArrayList<>();
        for (int i = 0; i < FRAMES; i++) {
            byte[] pixels = new byte[32 * 32 * 3];
            random.nextBytes(pixels);
            images.add(new Image(32, 32, 3, Image.Layout.HWC, pixels));
        }
        inProcessCounts = new TreeMap<>();
        try (Cascade cascade = Cascade.load(FixtureCascade.write(Files.createDirectories(dir.resolve("reference"))), 1)) {
            for (List<StageDecision> trail : cascade.classify(images)) {
                inProcessCounts.merge(trail.get(trail.size() - 1).label(), 1L, Long::sum);
            }
        }
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.stop();
        }
    }

    @Test
    void theLeaderOfAFramesPartitionSigkilledMidQueryLosesAndDoublesNothing(@TempDir Path dir) throws Exception {
        List<String> table = new ArrayList<>();
        table.add("| trial | broker killed (leader of frames-0) | kill to DONE (s) |");
        table.add("| --- | --- | --- |");
        for (int trial = 1; trial <= TRIALS; trial++) {
            Path trialDir = Files.createDirectories(dir.resolve("trial-" + trial));
            AtomicReference<Integer> killed = new AtomicReference<>();
            long[] killedAt = new long[1];
            Progress done = runQuery(trialDir, (topics, admin) -> {
                int leader = admin.describeTopics(List.of(topics.frames(0).name())).allTopicNames().get()
                        .get(topics.frames(0).name()).partitions().get(0).leader().id();
                int broker = leader - 1;
                killed.set(broker);
                killedAt[0] = System.nanoTime();
                cluster.killBroker(broker);
            }, NOTHING, () -> {
                if (killed.get() != null) {
                    cluster.startBroker(killed.get());
                }
            });
            table.add("| " + trial + " | node " + (killed.get() + 1) + " | "
                    + String.format("%.1f", (System.nanoTime() - killedAt[0]) / 1e9) + " |");
            assertThat(done.getFramesSeen()).isEqualTo(FRAMES);
        }
        System.out.println("Broker-kill trials on the 3-broker cluster:\n" + String.join("\n", table));
    }

    @Test
    void aRollingRestartOfEveryBrokerUnderLoadLosesAndDoublesNothing(@TempDir Path dir) throws Exception {
        runQuery(dir, (topics, admin) -> {
            for (int broker = 0; broker < cluster.config().brokers(); broker++) {
                cluster.restartBroker(broker);
            }
        }, NOTHING, () -> { });
    }

    @Test
    void theRegistrySigkilledMidQueryStopsNothingThatKnowsItsSchemas(@TempDir Path dir) throws Exception {
        runQuery(dir, (topics, admin) -> cluster.killRegistry(), (queryId, progress) -> {
            // Every frame is decided while the registry is down: the app, the producer and the
            // progress follower know their schemas. Checking reads with fresh clients, so it comes back first.
            progress.await(p -> p.getQueryId().equals(queryId) && p.getFramesSeen() == FRAMES, Duration.ofSeconds(180));
            cluster.startRegistry();
        }, () -> { });
    }

    private interface Fault {
        void inject(Topics topics, Admin admin) throws Exception;
    }

    private interface Repair {
        void run() throws Exception;
    }

    /** Runs once the second half is sent, before the results are read back. */
    private interface BeforeCheck {
        void run(String queryId, ProgressLog progress) throws Exception;
    }

    private static final BeforeCheck NOTHING = (queryId, progress) -> { };

    /**
     * Runs a query over the test frames with {@code fault} injected once the first half is being
     * processed; the second half is sent after it. {@code repair} runs at the end, whatever happened.
     */
    private static Progress runQuery(Path dir, Fault fault, BeforeCheck beforeCheck, Repair repair) throws Exception {
        PlatformConfig config = cluster.config();
        String prefix = "cluster-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        String queryId = prefix + "q";
        Topics topics = new Topics(prefix, config.registryUrl());
        ClusterConfig client = config.cluster().withSetting("topic.prefix", prefix).withSetting("metrics.port", "0")
                .withSetting("application.id", prefix + "app").withSetting("state.dir", dir.resolve("state").toString());
        ProgressLog progress = new ProgressLog();
        try (SieveStreamApp app = SieveStreamApp.start(FixtureCascade.write(dir), client, StreamAppConfig.from(client,
                FixtureCascade.home()), Duration.ofSeconds(120));
             QueryClient queries = new QueryClient(client, topics);
             AutoCloseable follow = queries.followProgress(progress::add);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers()))) {
            queries.send(QueryCommand.newBuilder().setQueryId(queryId).setAction(QueryAction.START).setExpectedFrames((long) FRAMES)
                    .setIssuedTime(Instant.now()).build());
            // One producer for both halves, as a camera's would be: it keeps its schema id across a registry outage.
            try (FramePublisher publisher = new FramePublisher(client, topics.frames(0).name(), 16, Duration.ofMillis(50))) {
                ProducerRun.run(List.of(half("cam-a", 0)), publisher, 0, queryId, new AtomicBoolean(), n -> { });
                progress.await(p -> p.getQueryId().equals(queryId) && p.getFramesSeen() > 0, Duration.ofSeconds(120));
                fault.inject(topics, admin);
                ProducerRun.run(List.of(half("cam-b", FRAMES / 2)), publisher, 0, queryId, new AtomicBoolean(), n -> { });
            }
            beforeCheck.run(queryId, progress);

            Map<String, Integer> perFrame = PredictionCounts.perFrame(config, topics, FRAMES, Duration.ofSeconds(180));
            assertThat(perFrame).hasSize(FRAMES);
            assertThat(perFrame.values()).containsOnly(1);
            Progress done = progress.await(p -> p.getQueryId().equals(queryId) && p.getState() == QueryState.DONE,
                    Duration.ofSeconds(60));
            Map<Integer, Long> counts = new TreeMap<>();
            for (ClassEstimate c : done.getClasses()) {
                if (c.getPredicted() > 0) {
                    counts.put(c.getLabel(), c.getPredicted());
                }
            }
            assertThat(counts).as("the query's class counts against the in-process cascade's").isEqualTo(inProcessCounts);
            assertThat(app.failure()).isEmpty();
            return done;
        } finally {
            repair.run();
        }
    }

    /** Half of the frames as one camera (the first or the second half, from {@code first}). */
    private static ListSource half(String camera, int first) {
        return new ListSource("half of the cluster test frames", camera, images.subList(first, first + FRAMES / 2),
                java.util.Collections.nCopies(FRAMES / 2, (Integer) null));
    }
}
