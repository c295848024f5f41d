package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.sieve.client.ClusterConfig;
import io.sieve.client.Topics;
import io.sieve.platform.EmbeddedPlatform;
import io.sieve.platform.PlatformConfig;
import io.sieve.platform.testing.IntegrationTest;
import io.sieve.platform.testing.PlatformExtension;
import io.sieve.producer.SyntheticSource;
import io.sieve.schemas.DeadLetter;
import io.sieve.schemas.Frame;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.PixelLayout;
import io.sieve.stream.SieveStreamApp;
import io.sieve.stream.StreamAppConfig;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a restart, a wipe, an oversized record or a dead Kafka Streams does to the stream app, on the real broker. */
@IntegrationTest
class RecoveryIT {

    /**
     * The README's main job run twice: the platform is stopped and started (keeping its data) and
     * later reset (wiping it), and the stream app, with its state folder kept throughout, starts
     * every time: state built against the wiped cluster is cleared, not fatal.
     */
    @Test
    void theStreamAppStartsAfterAPlatformRestartAndAfterAResetWithItsOldStateFolder(@TempDir Path dir) throws Exception {
        PlatformConfig config = PlatformExtension.freshConfig();
        EmbeddedPlatform platform = new EmbeddedPlatform(config);
        Path cascade = FixtureCascade.write(dir);
        String prefix = "restart-";
        Topics topics = new Topics(prefix, config.registryUrl());
        ClusterConfig cluster = config.cluster().withSetting("topic.prefix", prefix).withSetting("application.id", "restart-app")
                .withSetting("metrics.port", "0").withSetting("state.dir", dir.resolve("state").toString());
        try {
            platform.start(false);
            runOnce(cluster, cascade, topics, config, "before", 40, 40);

            platform.stop();
            assertThat(platform.start(false)).containsExactlyInAnyOrder("kafka", "registry");
            // Topics, offsets and schema ids survived: the old predictions are still there and decode.
            runOnce(cluster, cascade, topics, config, "after-restart", 40, 80);

            platform.reset();
            platform.start(false);
            runOnce(cluster, cascade, topics, config, "after-reset", 40, 40);
        } finally {
            platform.stop();
        }
    }

    private static void runOnce(ClusterConfig cluster, Path cascade, Topics topics, PlatformConfig config, String camera, int frames,
                                int predictionsAfter) throws Exception {
        try (SieveStreamApp app = SieveStreamApp.start(cascade, cluster, StreamAppConfig.from(cluster, FixtureCascade.home()),
                Duration.ofSeconds(120))) {
            FixtureCascade.publish(cluster, topics, List.of(new SyntheticSource(camera, 32, 32, frames)), null, 0);
            assertThat(PredictionCounts.perFrame(config, topics, predictionsAfter, Duration.ofSeconds(60))).hasSize(predictionsAfter);
            assertThat(app.failure()).isEmpty();
        }
    }

    /**
     * Stages run apart (as they scale): values of 1.5 and 4 MB that are not frames become bounded dead
     * letters, one of 8.5 MB is refused by the broker, and a valid 2,000-frame batch (6 MB, more once
     * stage 0 adds its results) crosses to stage 1 in pieces: every frame is decided, both apps run on.
     */
    @Test
    void noRecordStopsStagesRunningApart(PlatformConfig platform, @TempDir Path dir) throws Exception {
        Path cascade = FixtureCascade.write(dir, 0.2);
        String prefix = "sizes-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        Topics topics = new Topics(prefix, platform.registryUrl());
        ClusterConfig cluster = platform.cluster().withSetting("topic.prefix", prefix).withSetting("metrics.port", "0")
                .withSetting("state.dir", dir.resolve("state").toString());
        try (SieveStreamApp cheap = start(cluster.withSetting("stages", "0"), cascade);
             SieveStreamApp expensive = start(cluster.withSetting("stages", "1"), cascade);
             var producer = new KafkaProducer<String, byte[]>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.bootstrapServers(),
                     ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024), new StringSerializer(), new ByteArraySerializer())) {
            Random random = new Random(7);
            for (int size : new int[] {1_500_000, 4_000_000}) {
                byte[] junk = new byte[size];
                random.nextBytes(junk);
                producer.send(new ProducerRecord<>(topics.frames(0).name(), "cam-junk", junk)).get();
            }
            byte[] tooLarge = new byte[8_500_000];
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topics.frames(0).name(), "cam-junk", tooLarge)).get())
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(RecordTooLargeException.class);

            List<Frame> frames = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                byte[] pixels = new byte[32 * 32 * 3];
                random.nextBytes(pixels);
                frames.add(Frame.newBuilder().setCameraId("cam-big").setSequence(i).setCaptureTime(Instant.now()).setWidth(32)
                        .setHeight(32).setChannels(3).setLayout(PixelLayout.HWC).setPixels(ByteBuffer.wrap(pixels)).build());
            }
            byte[] batch = topics.frames(0).valueSerde().serializer().serialize(topics.frames(0).name(), new FrameBatch("cam-big", frames));
            assertThat(batch.length).isGreaterThan(6_000_000);
            producer.send(new ProducerRecord<>(topics.frames(0).name(), "cam-big", batch)).get();

            var predictions = PredictionCounts.perFrame(platform, topics, 2000, Duration.ofSeconds(120));
            assertThat(predictions).hasSize(2000);
            assertThat(predictions.values()).allSatisfy(n -> assertThat(n).isEqualTo(1));
            assertThat(predictions.keySet()).allSatisfy(k -> assertThat(k).startsWith("cam-big/"));

            List<DeadLetter> letters = new ArrayList<>();
            try (var consumer = PredictionCounts.consumer(platform, topics.deadLetters().valueSerde().deserializer())) {
                consumer.subscribe(List.of(topics.deadLetters().name()));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (letters.size() < 2 && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(r -> letters.add(r.value()));
                }
            }
            assertThat(letters).extracting(DeadLetter::getPayloadBytes).containsExactly(1_500_000L, 4_000_000L);
            assertThat(letters).allSatisfy(l -> assertThat(l.getPayload().remaining()).isEqualTo(64 * 1024));
            assertThat(cheap.failure()).isEmpty();
            assertThat(expensive.failure()).isEmpty();
        }
    }

    private static SieveStreamApp start(ClusterConfig cluster, Path cascade) {
        return SieveStreamApp.start(cascade, cluster, StreamAppConfig.from(cluster, FixtureCascade.home()), Duration.ofSeconds(120));
    }

    /**
     * When Kafka Streams shuts down on an error (here: the registry stops answering when the first
     * frame's schema must be fetched), `./sieve stream` exits with code 3 and the cause, so that
     * systemd, Kubernetes or docker restart it, instead of idling with its metrics still up.
     */
    @Test
    void aStreamAppWhoseKafkaStreamsDiesExitsNonZeroNamingTheCause(PlatformConfig platform, @TempDir Path dir) throws Exception {
        Path cascade = FixtureCascade.write(dir);
        String prefix = "dies-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        HttpServer proxy = registryProxy(platform.registryUrl());
        String proxiedUrl = "http://127.0.0.1:" + proxy.getAddress().getPort() + URI.create(platform.registryUrl()).getPath();
        Path log = dir.resolve("app/stream-app.log");
        Process app = FixtureCascade.sieve(platform, prefix, prepare(log), Map.of("SIEVE_REGISTRY_URL", proxiedUrl,
                "SIEVE_METRICS_PORT", "0", "SIEVE_STATE_DIR", dir.resolve("state").toString()),
                "stream", "--cascade", cascade.toString());
        try {
            FixtureCascade.awaitRunning(app, log, Duration.ofSeconds(120));
            proxy.stop(0);
            Topics topics = new Topics(prefix, platform.registryUrl());
            FixtureCascade.publish(platform.cluster(), topics, List.of(new SyntheticSource("cam-x", 32, 32, 5)), null, 0);
            assertThat(app.waitFor(90, TimeUnit.SECONDS)).as(() -> read(log)).isTrue();
            assertThat(app.exitValue()).as(() -> read(log)).isEqualTo(StreamCommand.EXIT_PROCESSING_FAILED);
            assertThat(read(log)).contains("processing stopped").contains("schema registry unavailable");
        } finally {
            app.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            proxy.stop(0);
        }
    }

    private static Path prepare(Path log) throws Exception {
        Files.createDirectories(log.getParent());
        return log;
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (Exception e) {
            return e.toString();
        }
    }

    /** A pass-through HTTP proxy in front of the registry, to take the registry away from one client only. */
    private static HttpServer registryProxy(String registryUrl) throws Exception {
        URI target = URI.create(registryUrl);
        HttpClient client = HttpClient.newHttpClient();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody(); OutputStream out = exchange.getResponseBody()) {
                URI uri = target.resolve(exchange.getRequestURI().toString());
                HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                        .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(in.readAllBytes()));
                String type = exchange.getRequestHeaders().getFirst("Content-Type");
                if (type != null) {
                    request.header("Content-Type", type);
                }
                HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
                response.headers().firstValue("Content-Type").ifPresent(t -> exchange.getResponseHeaders().add("Content-Type", t));
                exchange.sendResponseHeaders(response.statusCode(), response.body().length == 0 ? -1 : response.body().length);
                out.write(response.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exchange.sendResponseHeaders(502, -1);
            }
        });
        server.start();
        return server;
    }
}
