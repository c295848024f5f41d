package io.sieve.platform;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.platform.testing.PlatformExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.nio.file.Path;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The platform as `sieve platform start|status|stop` runs it: detached JVMs found again through pid files. */
@Tag("integration")
class EmbeddedPlatformIT {

    @Test
    void startsAnswersMovesRecordsAndStopsWithoutLeavingAProcess() throws Exception {
        EmbeddedPlatform platform = new EmbeddedPlatform(PlatformExtension.freshConfig());
        List<Long> pids = new ArrayList<>();
        try {
            platform.start(true);
            List<EmbeddedPlatform.ComponentStatus> status = platform.status();
            assertThat(status).allSatisfy(s -> assertThat(s.answering()).as(s.describe()).isTrue());
            status.forEach(s -> pids.add(s.pid()));

            String bootstrap = platform.config().bootstrapServers();
            String topic = "smoke-" + UUID.randomUUID();
            try (var producer = new KafkaProducer<String, String>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>(topic, "camera-1", "frame-" + i)).get();
                }
            }
            List<String> received = new ArrayList<>();
            try (var consumer = new KafkaConsumer<String, String>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.GROUP_ID_CONFIG, "smoke",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(topic));
                long deadline = System.currentTimeMillis() + 30_000;
                while (received.size() < 10 && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                        received.add(r.value());
                    }
                }
            }
            assertThat(received).hasSize(10).startsWith("frame-0").endsWith("frame-9");

            HttpResponse<String> subjects = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(platform.config().registryUrl() + "/subjects")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(subjects.statusCode()).isEqualTo(200);
            assertThat(subjects.body()).startsWith("[");
        } finally {
            assertThat(platform.stop()).containsExactlyInAnyOrder("kafka", "registry");
        }
        assertThat(pids).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .as("process %d after stop", pid).isFalse());
        assertThat(platform.status()).allSatisfy(s -> assertThat(s.pid()).isNull());
    }

    /** The demo and the tests tie their servers to their JVM: a SIGKILLed JVM (no shutdown hook runs) leaves no server behind. */
    @Test
    void serversStartedAttachedEndWhenTheirJvmIsKilled() throws Exception {
        PlatformConfig config = PlatformExtension.freshConfig();
        Process parent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), AttachedPlatformMain.class.getName(), config.dataDir().toString(),
                Integer.toString(config.kafkaPort()), Integer.toString(config.controllerPort()), Integer.toString(config.registryPort()),
                config.registryRunner().toString())
                .redirectErrorStream(true).redirectOutput(config.dataDir().resolve("launcher.log").toFile()).start();
        EmbeddedPlatform platform = new EmbeddedPlatform(config);
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (!platform.status().stream().allMatch(EmbeddedPlatform.ComponentStatus::answering) && System.nanoTime() < deadline) {
                assertThat(parent.isAlive()).as("the launcher JVM").isTrue();
                Thread.sleep(500);
            }
            List<Long> pids = platform.status().stream().map(EmbeddedPlatform.ComponentStatus::pid).toList();
            assertThat(pids).doesNotContainNull();
            List<ProcessHandle> servers = new ArrayList<>();
            for (long pid : pids) {
                ProcessHandle handle = ProcessHandle.of(pid).orElseThrow();
                servers.add(handle);
                servers.addAll(handle.descendants().toList());
            }
            parent.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            for (ProcessHandle server : servers) {
                assertThat(server.onExit().get(30, TimeUnit.SECONDS).isAlive()).as("pid %d after its launcher was killed", server.pid())
                        .isFalse();
            }
        } finally {
            parent.destroyForcibly();
            platform.stop();
        }
    }
}
