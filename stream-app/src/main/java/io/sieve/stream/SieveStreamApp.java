package io.sieve.stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.cascade.runtime.Cascade;
import io.sieve.client.Topics;
import io.sieve.client.ClusterConfig;
import io.sieve.serde.RecordLimits;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running stream app: the cascade's models, the Kafka Streams instance for the selected
 * stages, and the Prometheus endpoint. {@link #close} releases all three.
 */
public final class SieveStreamApp implements AutoCloseable {
    /** The control path's application id is the data path's with this suffix. */
    static final String QUERIES_APPLICATION_SUFFIX = "-queries";
    /** How long a silent instance keeps its partitions (README: Failures and recovery). */
    static final int SESSION_TIMEOUT_MS = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(SieveStreamApp.class);

    private final Cascade cascade;
    private final List<KafkaStreams> instances;
    private final PrometheusMeterRegistry meters;
    private final MetricsServer metricsServer;
    private final List<KafkaStreamsMetrics> streamsMetrics;
    private final Set<Integer> selected;
    private final AtomicReference<Throwable> failure;
    private volatile boolean closing;

    private SieveStreamApp(Cascade cascade, List<KafkaStreams> instances, PrometheusMeterRegistry meters, MetricsServer metricsServer,
                           List<KafkaStreamsMetrics> streamsMetrics, Set<Integer> selected, AtomicReference<Throwable> failure) {
        this.cascade = cascade;
        this.instances = instances;
        this.meters = meters;
        this.metricsServer = metricsServer;
        this.streamsMetrics = streamsMetrics;
        this.selected = selected;
        this.failure = failure;
    }

    /**
     * Loads the cascade, creates missing topics, and starts processing; returns once Kafka Streams is
     * running. The stages (data path) and the query aggregation (control path) run as two Kafka
     * Streams instances, so that aborts and results never queue behind batches of frames.
     */
    public static SieveStreamApp start(Path cascadeFile, ClusterConfig cluster, StreamAppConfig config, Duration startTimeout) {
        // What can be refused without the cluster is refused first (and creates no topic).
        config.selectedStages(CascadeDefinition.read(cascadeFile).stages().size());
        if (!cluster.registryUrl().startsWith(io.sieve.serde.SchemaRegistry.IN_MEMORY_SCHEME)) {
            new io.sieve.serde.HttpSchemaRegistry(cluster.registryUrl()).requireReachable();
        }
        Cascade cascade = Cascade.load(cascadeFile, config.modelThreads());
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        List<KafkaStreams> instances = new ArrayList<>();
        List<KafkaStreamsMetrics> streamsMetrics = new ArrayList<>();
        MetricsServer metricsServer = null;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try {
            Set<Integer> selected = config.selectedStages(cascade.stages().size());
            Topics topics = new Topics(config.topicPrefix(), cluster.registryUrl());
            String clusterId = createTopics(cluster, config, topics, selected, cascade.stages().size());
            StateDirectory.claim(config.stateDir(), config.applicationId(), clusterId);
            StateDirectory.claim(config.stateDir(), config.applicationId() + QUERIES_APPLICATION_SUFFIX, clusterId);
            Clock clock = Clock.systemUTC();
            instances.add(new KafkaStreams(CascadeTopology.buildStages(new StreamsBuilder(), topics, cascade.stages(), selected,
                    config.filters(), Duration.ofMillis(config.eagerCommitMillis()),
                    cascade.definition().effectiveAuditRate(), meters, clock), streamsProperties(cluster, config, config.applicationId())));
            if (config.aggregates(selected)) {
                var aggregation = CascadeTopology.Aggregation.of(cascade.definition(), Duration.ofMillis(config.progressMillis()),
                        config.partitions());
                instances.add(new KafkaStreams(CascadeTopology.buildQueries(new StreamsBuilder(), topics, cascade.stages(), aggregation,
                        meters, clock), controlPathProperties(cluster, config)));
            }
            for (KafkaStreams streams : instances) {
                streams.setUncaughtExceptionHandler(e -> {
                    LOG.error("stream thread failed; shutting this instance down", e);
                    failure.compareAndSet(null, e);
                    return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
                });
                KafkaStreamsMetrics bound = new KafkaStreamsMetrics(streams);
                bound.bindTo(meters);
                streamsMetrics.add(bound);
            }
            if (config.metricsPort() > 0) {
                metricsServer = new MetricsServer(meters, config.metricsHost(), config.metricsPort());
            }
            for (KafkaStreams streams : instances) {
                awaitRunning(streams, startTimeout);
            }
            return new SieveStreamApp(cascade, instances, meters, metricsServer, streamsMetrics, selected, failure);
        } catch (RuntimeException e) {
            instances.forEach(streams -> streams.close(Duration.ofSeconds(10)));
            if (metricsServer != null) {
                metricsServer.close();
            }
            meters.close();
            cascade.close();
            throw e;
        }
    }

    static Properties streamsProperties(ClusterConfig cluster, StreamAppConfig config, String applicationId) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
        props.put(StreamsConfig.producerPrefix("linger.ms"), 5);
        props.put(StreamsConfig.producerPrefix("compression.type"), "lz4");
        // As large as the frame topics take: Kafka's 1 MiB default would stop the app on the first large batch.
        props.put(StreamsConfig.producerPrefix("max.request.size"), RecordLimits.MAX_RECORD_BYTES);
        // An undecodable query command or prediction is set aside, not allowed to stop the app.
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class.getName());
        props.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.topicPrefix() + Topics.RAW_DEAD_LETTERS);
        // No task waits for another partition's records to order them by time: a stage's task reads one
        // partition, and the aggregator's commands and predictions need no order between them (a
        // prediction before its START is kept and counted). Kafka Streams' waiting check also formats
        // log strings on every loop while a partition is empty: 5% of a stage thread's Java time at
        // half load in a profile (BENCHMARKS.md).
        props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L);
        // A killed instance's partitions move to the others (or to its restart) once its session times
        // out: 10 s instead of Kafka's 45 s, with heartbeats every 3 s (KafkaStreams polls often enough).
        props.put(StreamsConfig.consumerPrefix("session.timeout.ms"), SESSION_TIMEOUT_MS);
        props.put(StreamsConfig.consumerPrefix("heartbeat.interval.ms"), SESSION_TIMEOUT_MS / 3);
        // The user's settings (security, exactly-once off, more threads, ...) win over these defaults.
        props.putAll(cluster.kafkaProperties());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        return props;
    }

    /**
     * The query aggregation's settings: its transactions commit more often than the data path's,
     * because every commit is a moment a user waits for (an abort, a final answer). Its traffic is one
     * small record per frame, so the extra commits cost little.
     */
    static Properties controlPathProperties(ClusterConfig cluster, StreamAppConfig config) {
        Properties props = streamsProperties(cluster, config, config.applicationId() + QUERIES_APPLICATION_SUFFIX);
        if (!cluster.kafkaProperties().containsKey(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)) {
            props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 50);
        }
        return props;
    }

    private static NewTopic newTopic(String name, StreamAppConfig config) {
        return new NewTopic(name, Optional.of(config.partitions()),
                config.replication() < 0 ? Optional.empty() : Optional.of(config.replication()));
    }

    /** Creates the topics that are missing; returns the cluster's id. */
    private static String createTopics(ClusterConfig cluster, StreamAppConfig config, Topics topics, Set<Integer> selected,
                                       int stageCount) {
        Set<String> frameTopics = new LinkedHashSet<>();
        for (int s : selected) {
            frameTopics.add(topics.frames(s).name());
            if (s + 1 < stageCount) {
                frameTopics.add(topics.frames(s + 1).name());
            }
        }
        List<NewTopic> wanted = new ArrayList<>();
        Map<String, String> large = Map.of("max.message.bytes", Integer.toString(RecordLimits.MAX_RECORD_BYTES));
        Map<String, String> small = Map.of("max.message.bytes", Integer.toString(RecordLimits.MAX_CONTROL_RECORD_BYTES));
        for (String name : frameTopics) {
            wanted.add(newTopic(name, config).configs(large));
        }
        // Dead letters are bounded (StageProcessor); the raw ones carry control records, which are small.
        for (String name : List.of(topics.deadLetters().name(), topics.rawDeadLetters())) {
            wanted.add(newTopic(name, config).configs(large));
        }
        for (String name : List.of(topics.predictions().name(), topics.progress().name())) {
            wanted.add(newTopic(name, config).configs(small));
        }
        // Commands are compacted: the latest command of every query is all that matters, forever.
        for (String name : List.of(topics.queries().name(), topics.queryStates().name())) {
            wanted.add(newTopic(name, config)
                    .configs(Map.of("cleanup.policy", "compact", "max.message.bytes", small.get("max.message.bytes"))));
        }
        try (Admin admin = Admin.create(cluster.kafkaProperties())) {
            String clusterId;
            List<String> brokers;
            try {
                DescribeClusterResult described = admin.describeCluster();
                clusterId = described.clusterId().get(60, TimeUnit.SECONDS);
                brokers = described.nodes().get(60, TimeUnit.SECONDS).stream().map(n -> n.host() + ":" + n.port()).toList();
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("cannot reach Kafka at " + cluster.bootstrapServers() + ": "
                        + (e.getCause() != null ? e.getCause().getMessage() : "no answer within 60 s"), e);
            }
            for (var entry : admin.createTopics(wanted).values().entrySet()) {
                try {
                    entry.getValue().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + entry.getKey() + " on " + cluster.bootstrapServers()
                                + ": " + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
            awaitLeaders(brokers, wanted.stream().map(NewTopic::name).toList(), cluster);
            return clusterId;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }

    /**
     * Waits until every broker names a leader for every partition of {@code topics}: a topic just
     * created on a cluster reaches the other brokers' metadata a moment later, and Kafka Streams'
     * global thread gives up at once ("no partitions available") if its first metadata request goes to
     * a broker that has not heard of it yet. A fresh consumer sends its first metadata request to its
     * bootstrap broker, as that thread does, so one is made per broker and per look.
     */
    private static void awaitLeaders(List<String> brokers, List<String> topics, ClusterConfig cluster) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (String broker : brokers) {
            String missing;
            while ((missing = topicWithoutLeader(broker, topics, cluster)) != null) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("broker " + broker + " names no leader for " + missing + " within 60 s");
                }
                Thread.sleep(100);
            }
        }
    }

    /** A topic of {@code topics} that {@code broker} knows no leader of for some partition, or null. */
    private static String topicWithoutLeader(String broker, List<String> topics, ClusterConfig cluster) {
        Map<String, Object> props = new HashMap<>(cluster.kafkaProperties());
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            Map<String, List<PartitionInfo>> known = consumer.listTopics(Duration.ofSeconds(10));
            return topics.stream().filter(t -> known.getOrDefault(t, List.of()).isEmpty()
                    || known.get(t).stream().anyMatch(p -> p.leader() == null || p.leader().isEmpty())).findFirst().orElse(null);
        } catch (KafkaException e) {
            return topics.get(0) + " (" + e.getMessage() + ")";
        }
    }

    private static void awaitRunning(KafkaStreams streams, Duration timeout) {
        Object lock = new Object();
        streams.setStateListener((now, before) -> {
            synchronized (lock) {
                lock.notifyAll();
            }
        });
        streams.start();
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (streams.state() != KafkaStreams.State.RUNNING) {
                if (!streams.state().isRunningOrRebalancing() && streams.state() != KafkaStreams.State.CREATED) {
                    throw new IllegalStateException("Kafka Streams stopped while starting: " + streams.state());
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("Kafka Streams did not reach RUNNING within " + timeout.toSeconds()
                            + " s (state " + streams.state() + ")");
                }
                try {
                    lock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while starting", e);
                }
            }
        }
    }

    public Set<Integer> selectedStages() {
        return selected;
    }

    public Cascade cascade() {
        return cascade;
    }

    /** RUNNING only when every Kafka Streams instance of the app runs. */
    public KafkaStreams.State state() {
        return instances.stream().map(KafkaStreams::state).filter(st -> st != KafkaStreams.State.RUNNING).findFirst()
                .orElse(KafkaStreams.State.RUNNING);
    }

    /**
     * Why the app stopped processing on its own (a stream thread's fatal error, or a Kafka Streams
     * instance that left RUNNING/REBALANCING), or empty while it runs. A supervisor restarts a process
     * that exits, not one that idles: the command exits non-zero with this cause.
     */
    public Optional<String> failure() {
        Throwable cause = failure.get();
        if (cause != null) {
            return Optional.of(describe(cause));
        }
        if (closing) {
            return Optional.empty();
        }
        for (KafkaStreams streams : instances) {
            KafkaStreams.State state = streams.state();
            if (!state.isRunningOrRebalancing()) {
                return Optional.of("Kafka Streams is " + state);
            }
        }
        return Optional.empty();
    }

    private static String describe(Throwable cause) {
        StringBuilder text = new StringBuilder(cause.toString());
        for (Throwable c = cause.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            text.append("; caused by ").append(c);
        }
        return text.toString();
    }

    public Integer metricsPort() {
        return metricsServer == null ? null : metricsServer.port();
    }

    /** The app's meters: its stages' counters and Kafka Streams' own metrics. */
    public MeterRegistry meters() {
        return meters;
    }

    public String scrapeMetrics() {
        return meters.scrape();
    }

    @Override
    public void close() {
        closing = true;
        // A deliberate stop leaves the consumer group, so its partitions move to the other instances (or to
        // this app's next start) at once instead of after the 45 s session timeout.
        CloseOptions leave = CloseOptions.timeout(Duration.ofSeconds(30))
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
        instances.forEach(streams -> streams.close(leave));
        streamsMetrics.forEach(KafkaStreamsMetrics::close);
        if (metricsServer != null) {
            metricsServer.close();
        }
        meters.close();
        cascade.close();
    }
}
