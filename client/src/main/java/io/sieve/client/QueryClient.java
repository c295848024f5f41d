package io.sieve.client;

import io.sieve.client.ClusterConfig;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts and aborts queries, and follows their commands and progress, for the CLI, the producer and the UI.
 * Commands go out through one producer, made on the first command and kept until {@link #close()}:
 * a new idempotent producer per command costs a metadata round trip and a producer-id request, which
 * on a busy machine is most of an abort's one-second budget.
 */
public final class QueryClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QueryClient.class);
    /** What a query id (and a camera name) may be: 1-64 letters, digits, '.', '_' or '-'. */
    public static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1,64}");

    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    private final ClusterConfig cluster;
    private final Topics topics;
    private KafkaProducer<String, QueryCommand> producer;
    private boolean closed;

    public QueryClient(ClusterConfig cluster, Topics topics) {
        this.cluster = cluster;
        this.topics = topics;
    }

    private synchronized KafkaProducer<String, QueryCommand> producer() {
        if (closed) {
            throw new IllegalStateException("this query client is closed");
        }
        if (producer == null) {
            Map<String, Object> props = new HashMap<>(cluster.kafkaProperties());
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
            producer = new KafkaProducer<>(props, new StringSerializer(), topics.queries().valueSerde().serializer());
        }
        return producer;
    }

    /** Sends a command and returns once the broker has it. */
    public void send(QueryCommand command) {
        try {
            producer().send(new ProducerRecord<>(topics.queries().name(), command.getQueryId(), command)).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot send the " + command.getAction() + " command of query " + command.getQueryId()
                    + " to " + topics.queries().name() + " on " + cluster.bootstrapServers() + ": " + e.getCause().getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * The latest command of {@code queryId} on the queries topic, or empty if the query was never
     * started (or its command was deleted). Reads the one partition the id hashes to, to its end.
     */
    public Optional<QueryCommand> latestCommand(String queryId) {
        try (KafkaConsumer<String, QueryCommand> consumer = reader(topics.queries().valueSerde().deserializer())) {
            String topic = topics.queries().name();
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            if (partitions.isEmpty()) {
                return Optional.empty();
            }
            // The default partitioner's choice for a keyed record.
            int index = Utils.toPositive(Utils.murmur2(queryId.getBytes(StandardCharsets.UTF_8))) % partitions.size();
            TopicPartition partition = new TopicPartition(topic, index);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            QueryCommand latest = null;
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<String, QueryCommand> r : consumer.poll(Duration.ofMillis(200))) {
                    if (queryId.equals(r.key())) {
                        latest = r.value();
                    }
                }
            }
            return Optional.ofNullable(latest);
        }
    }

    public void abort(String queryId) {
        send(QueryCommand.newBuilder().setQueryId(queryId).setAction(QueryAction.ABORT).setIssuedTime(Instant.now()).build());
    }

    /**
     * Calls {@code onEnd} (once, from a background thread) with the command's action when {@code queryId}
     * is ended after this call: aborted, or stopped by the aggregator at its requested precision.
     */
    public AutoCloseable onEnd(String queryId, Consumer<QueryAction> onEnd) {
        return follow(topics.queries().name(), topics.queries().valueSerde().deserializer(), false,
                r -> r.key() != null && r.key().equals(queryId) && r.value().getAction() != QueryAction.START,
                r -> onEnd.accept(r.value().getAction()), true);
    }

    /**
     * Follows every progress record of every query (from the beginning of the topic) until closed.
     */
    public AutoCloseable followProgress(Consumer<Progress> listener) {
        return follow(topics.progress().name(), topics.progress().valueSerde().deserializer(), true, r -> true,
                r -> listener.accept(r.value()), false);
    }

    /** The topic's partitions; a topic that does not exist yet is created by the broker on first look and appears shortly. */
    private static List<TopicPartition> partitions(KafkaConsumer<String, ?> consumer, String topic) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            List<TopicPartition> found = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            if (!found.isEmpty()) {
                return found;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topic " + topic + " has no partitions; is the stream app running?");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    /** A consumer that assigns partitions itself and sees committed records only (the stream app writes transactionally). */
    private <V> KafkaConsumer<String, V> reader(Deserializer<V> values) {
        Map<String, Object> props = new HashMap<>(cluster.kafkaProperties());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(props, new StringDeserializer(), values);
    }

    private <V> AutoCloseable follow(String topic, Deserializer<V> deserializer, boolean fromBeginning,
                                     Predicate<ConsumerRecord<String, V>> match, Consumer<ConsumerRecord<String, V>> action,
                                     boolean once) {
        KafkaConsumer<String, V> consumer = reader(deserializer);
        List<TopicPartition> partitions = partitions(consumer, topic);
        consumer.assign(partitions);
        if (fromBeginning) {
            consumer.seekToBeginning(partitions);
        } else {
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
        }
        AtomicBoolean running = new AtomicBoolean(true);
        Thread thread = new Thread(() -> {
            try (consumer) {
                while (running.get()) {
                    ConsumerRecords<String, V> records;
                    try {
                        records = consumer.poll(Duration.ofMillis(100));
                    } catch (RecordDeserializationException e) {
                        // One bad record must not end the feed: step over it, say so, and go on.
                        LOG.warn("skipping undecodable record {}@{}: {}", e.topicPartition(), e.offset(), e.getMessage());
                        consumer.seek(e.topicPartition(), e.offset() + 1);
                        continue;
                    }
                    for (ConsumerRecord<String, V> r : records) {
                        if (r.value() == null) {
                            continue;
                        }
                        boolean matched;
                        try {
                            matched = match.test(r);
                            if (matched) {
                                action.accept(r);
                            }
                        } catch (RuntimeException e) {
                            LOG.error("listener of {} failed on {}-{}@{}; following goes on", topic, r.topic(), r.partition(),
                                    r.offset(), e);
                            continue;
                        }
                        if (matched && once) {
                            return;
                        }
                    }
                }
            } catch (WakeupException e) {
                // closed
            } catch (RuntimeException e) {
                LOG.error("stopped following {} on {}: {}", topic, cluster.bootstrapServers(), e.getMessage(), e);
            }
        }, "sieve-follow-" + topic);
        thread.setDaemon(true);
        thread.start();
        return () -> {
            running.set(false);
            consumer.wakeup();
            thread.join(5000);
        };
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (producer != null) {
            producer.close(Duration.ofSeconds(10));
            producer = null;
        }
    }
}
