package io.sieve.cli;

import io.sieve.producer.FramePublisher;
import io.sieve.producer.ListSource;
import io.sieve.producer.ProducerRun;
import io.sieve.producer.SyntheticSource;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.client.ClusterConfig;
import io.sieve.images.Image;
import io.sieve.platform.PlatformConfig;
import io.sieve.platform.testing.IntegrationTest;
import io.sieve.schemas.Frame;
import io.sieve.schemas.FrameBatch;
import io.sieve.serde.AvroSerde;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@IntegrationTest
class FramePublisherIT {

    @Test
    void framesArriveInOrderInBatchesPerCameraWithTheirQueryPositions(PlatformConfig platform, @TempDir Path dir) throws Exception {
        String topic = "frames-" + UUID.randomUUID();
        ClusterConfig cluster = platform.cluster();
        ListSource source = new ListSource("100 blank frames", "cam-q",
                java.util.Collections.nCopies(100, new Image(32, 32, 3, Image.Layout.HWC, new byte[32 * 32 * 3])),
                java.util.stream.IntStream.range(0, 100).map(r -> r % 10).boxed().toList()).shuffled(3);
        ProducerRun.Result result;
        try (FramePublisher publisher = new FramePublisher(cluster, topic, 32, Duration.ofMillis(100))) {
            result = ProducerRun.run(List.of(source, new SyntheticSource("cam-s", 32, 32, 10)), publisher, 0, "q-1",
                    new AtomicBoolean(), n -> { });
        }
        assertThat(result.sent()).isEqualTo(110);
        assertThat(result.acknowledged()).isEqualTo(110);

        List<FrameBatch> batches = new ArrayList<>();
        try (var consumer = new KafkaConsumer<String, FrameBatch>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "check", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), AvroSerde.<FrameBatch>forValues(FrameBatch.getClassSchema(), platform.registryUrl()).deserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30_000;
            while (batches.stream().mapToInt(b -> b.getFrames().size()).sum() < 110 && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(300)).forEach(r -> {
                    assertThat(r.key()).isEqualTo(r.value().getCameraId());
                    batches.add(r.value());
                });
            }
        }
        List<Frame> queried = batches.stream().filter(b -> b.getCameraId().equals("cam-q")).flatMap(b -> b.getFrames().stream()).toList();
        assertThat(queried).hasSize(100);
        assertThat(queried).extracting(Frame::getQueryPosition).containsExactlyElementsOf(
                java.util.stream.LongStream.range(0, 100).boxed().toList());
        assertThat(queried).allSatisfy(f -> assertThat(f.getQueryId()).isEqualTo("q-1"));
        assertThat(batches.stream().filter(b -> b.getCameraId().equals("cam-q"))).allSatisfy(b -> assertThat(b.getFrames().size()).isLessThanOrEqualTo(32));
        // The synthetic camera is not a replayable source, so its frames carry the query id but no position.
        assertThat(batches.stream().filter(b -> b.getCameraId().equals("cam-s")).flatMap(b -> b.getFrames().stream()))
                .hasSize(10).allSatisfy(f -> assertThat(f.getQueryPosition()).isNull());
    }
}
