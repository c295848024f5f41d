package io.sieve.cli;

import io.sieve.stream.SieveStreamApp;
import io.sieve.stream.StreamAppConfig;
import io.sieve.client.Topics;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.images.Cifar10;
import io.sieve.images.DataException;
import io.sieve.images.LabelledImages;
import io.sieve.images.Image;
import io.sieve.cascade.runtime.Cascade;
import io.sieve.cascade.runtime.StageDecision;
import io.sieve.client.ClusterConfig;
import io.sieve.platform.PlatformConfig;
import io.sieve.platform.testing.IntegrationTest;
import io.sieve.schemas.Frame;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.PixelLayout;
import io.sieve.schemas.Prediction;
import io.sieve.serde.ConfluentWireFormat;
import io.sieve.serde.HttpSchemaRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cascade on the real broker and registry gives every frame exactly one prediction, the in-process answer. */
@IntegrationTest
class StreamAppIT {
    private static final int FRAMES = 2000;
    private static final int CAMERAS = 4;
    private static final int BATCH = 50;

    @Test
    void everyFrameGetsExactlyOnePredictionEqualToTheInProcessCascade(PlatformConfig platform, @TempDir Path state) throws Exception {
        Path home = Path.of(System.getProperty("sieve.home", "..")).toAbsolutePath();
        Path cascadeFile = Path.of(System.getProperty("sieve.it.cascade", home.resolve("models/cascades/default.cascade.json").toString()));
        LabelledImages test = cifarTestOrSkip(home).first(FRAMES);

        Map<String, Integer> expected = new HashMap<>();
        try (Cascade cascade = Cascade.load(cascadeFile, 1)) {
            List<List<StageDecision>> trails = cascade.classify(test.images());
            for (int i = 0; i < FRAMES; i++) {
                expected.put(camera(i) + "/" + i, trails.get(i).get(trails.get(i).size() - 1).label());
            }
        }

        String prefix = "it-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        ClusterConfig cluster = platform.cluster()
                .withSetting("topic.prefix", prefix).withSetting("application.id", prefix + "app")
                .withSetting("metrics.port", "0").withSetting("state.dir", state.toString());
        Topics topics = new Topics(prefix, platform.registryUrl());
        try (SieveStreamApp app = SieveStreamApp.start(cascadeFile, cluster, StreamAppConfig.from(cluster, home), Duration.ofSeconds(90))) {
            produce(platform, topics, test);
            Map<String, Integer> actual = new HashMap<>();
            List<byte[]> raw = new ArrayList<>();
            try (var consumer = new KafkaConsumer<String, byte[]>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, prefix + "check",
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(topics.predictions().name()));
                var deserializer = topics.predictions().valueSerde().deserializer();
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                int received = 0;
                // Read on for a moment after the last expected prediction, so that a duplicate would be seen.
                long quietUntil = Long.MAX_VALUE;
                while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        Prediction p = deserializer.deserialize(r.topic(), r.value());
                        Integer previous = actual.put(p.getCameraId() + "/" + p.getSequence(), p.getLabel());
                        assertThat(previous).as("second prediction for %s/%d", p.getCameraId(), p.getSequence()).isNull();
                        assertThat(r.key()).isEqualTo(p.getCameraId());
                        raw.add(r.value());
                        received++;
                    }
                    if (received >= FRAMES && quietUntil == Long.MAX_VALUE) {
                        quietUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                    }
                }
                assertThat(received).isEqualTo(FRAMES);
            }
            assertThat(actual).isEqualTo(expected);
            assertDecodesWithTheRegistrySchema(platform, raw.get(0));
            assertThat(app.scrapeMetrics()).contains("sieve_stage_frames_in_total");
        }
    }

    /** What Kafka's console consumer plus the registry would do: the header's schema id, then plain Avro. */
    private static void assertDecodesWithTheRegistrySchema(PlatformConfig platform, byte[] value) throws Exception {
        int id = ConfluentWireFormat.schemaId("predictions", value);
        Schema writer = new HttpSchemaRegistry(platform.registryUrl()).schemaById(id);
        GenericRecord record = new GenericDatumReader<GenericRecord>(writer).read(null,
                DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null));
        assertThat(record.get("camera_id").toString()).startsWith("cam-");
        assertThat(record.getSchema().getFullName()).isEqualTo("io.sieve.schemas.Prediction");
    }

    private static void produce(PlatformConfig platform, Topics topics, LabelledImages test) throws Exception {
        try (var producer = new KafkaProducer<String, FrameBatch>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), topics.frames(0).valueSerde().serializer())) {
            Map<String, List<Frame>> pending = new HashMap<>();
            for (int i = 0; i < test.size(); i++) {
                Image image = test.images().get(i);
                String camera = camera(i);
                pending.computeIfAbsent(camera, c -> new ArrayList<>()).add(Frame.newBuilder().setCameraId(camera).setSequence(i)
                        .setCaptureTime(Instant.now()).setWidth(32).setHeight(32).setChannels(3).setLayout(PixelLayout.CHW)
                        .setPixels(ByteBuffer.wrap(image.pixels())).setLabel(test.labels()[i]).build());
                if (pending.get(camera).size() == BATCH || i == test.size() - 1) {
                    for (var entry : pending.entrySet()) {
                        if (!entry.getValue().isEmpty()) {
                            producer.send(new ProducerRecord<>(topics.frames(0).name(), entry.getKey(),
                                    new FrameBatch(entry.getKey(), new ArrayList<>(entry.getValue()))));
                            entry.getValue().clear();
                        }
                    }
                }
            }
            producer.flush();
        }
    }

    private static String camera(int i) {
        return "cam-" + (i % CAMERAS);
    }

    private static LabelledImages cifarTestOrSkip(Path home) {
        try {
            return Cifar10.test(Cifar10.locate(Cifar10.defaultLocations(home, System.getenv())));
        } catch (DataException e) {
            Assumptions.abort("skipped: " + e.getMessage());
            throw e;
        }
    }
}
