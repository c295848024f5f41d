package io.sieve.cli;

import io.sieve.platform.PlatformConfig;
import io.sieve.schemas.Prediction;
import io.sieve.client.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** What the integration tests read back from the broker to check exactly-once. */
final class PredictionCounts {
    private PredictionCounts() {
    }

    /** A read_committed consumer in a fresh group, from the earliest offset. */
    static <V> KafkaConsumer<String, V> consumer(PlatformConfig platform, Deserializer<V> values) {
        return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "check-" + UUID.randomUUID(), ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), values);
    }

    /**
     * Predictions per frame (camera/sequence), read until {@code expected} frames have one or the time
     * is up, then 2 s more so that a duplicate would be seen.
     */
    static Map<String, Integer> perFrame(PlatformConfig platform, Topics topics, int expected, Duration timeout) {
        Map<String, Integer> counts = new HashMap<>();
        try (var consumer = consumer(platform, topics.predictions().valueSerde().deserializer())) {
            consumer.subscribe(List.of(topics.predictions().name()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (counts.size() < expected && System.nanoTime() < deadline) {
                count(consumer, counts);
            }
            long settle = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < settle) {
                count(consumer, counts);
            }
        }
        return counts;
    }

    private static void count(KafkaConsumer<String, Prediction> consumer, Map<String, Integer> counts) {
        for (var record : consumer.poll(Duration.ofMillis(200))) {
            counts.merge(record.value().getCameraId() + "/" + record.value().getSequence(), 1, Integer::sum);
        }
    }
}
