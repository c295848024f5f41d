package io.sieve.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.schemas.Frame;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.Prediction;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    @Test
    void roundTripsAndCachesSoTheRegistryIsAskedOncePerSchema() throws Exception {
        try (FakeRegistry registry = new FakeRegistry()) {
            Serde<Frame> serde = AvroSerde.forValues(Frame.getClassSchema(), registry.url());
            for (int i = 0; i < 50; i++) {
                Frame frame = SampleRecords.frame(i);
                byte[] bytes = serde.serializer().serialize("frames", frame);
                assertThat(bytes[0]).isEqualTo(ConfluentWireFormat.MAGIC_BYTE);
                assertThat(serde.deserializer().deserialize("frames", bytes)).isEqualTo(frame);
            }
            // One registration by the serializer; the deserializer finds the id already cached in its own client.
            assertThat(registry.requests.get()).isLessThanOrEqualTo(2);
        }
    }

    @Test
    void aSerializerReusedAcrossRecordsAndThreadsWritesEachRecordWhole() throws Exception {
        try (FakeRegistry registry = new FakeRegistry()) {
            Serde<FrameBatch> serde = AvroSerde.forValues(FrameBatch.getClassSchema(), registry.url());
            // Large (a buffer past the kept size), small, large again: no record may carry bytes of the one before.
            List<FrameBatch> batches = List.of(batch(0, 400), batch(400, 1), batch(401, 64), batch(465, 2));
            for (FrameBatch batch : batches) {
                assertThat(serde.deserializer().deserialize("frames", serde.serializer().serialize("frames", batch))).isEqualTo(batch);
            }
            ExecutorService threads = Executors.newFixedThreadPool(4);
            try {
                List<Future<Boolean>> roundTrips = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int first = 1000 * (t + 1);
                    roundTrips.add(threads.submit(() -> {
                        for (int i = 0; i < 50; i++) {
                            FrameBatch batch = batch(first + i, 1 + i % 7);
                            if (!serde.deserializer().deserialize("frames", serde.serializer().serialize("frames", batch)).equals(batch)) {
                                return false;
                            }
                        }
                        return true;
                    }));
                }
                for (Future<Boolean> roundTrip : roundTrips) {
                    assertThat(roundTrip.get()).isTrue();
                }
            } finally {
                threads.shutdownNow();
            }
        }
    }

    private static FrameBatch batch(int firstSequence, int frames) {
        List<Frame> list = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            list.add(SampleRecords.frame(firstSequence + i));
        }
        return new FrameBatch("camera-7", list);
    }

    @Test
    void anUnknownSchemaIdIsAnErrorNamingTheId() throws Exception {
        try (FakeRegistry registry = new FakeRegistry()) {
            Serde<Prediction> serde = AvroSerde.forValues(Prediction.getClassSchema(), registry.url());
            byte[] bytes = serde.serializer().serialize("predictions", SampleRecords.prediction());
            bytes[4] = 99;
            Serde<Prediction> fresh = AvroSerde.forValues(Prediction.getClassSchema(), registry.url());
            assertThatThrownBy(() -> fresh.deserializer().deserialize("predictions", bytes))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining("schema id 99")
                    .hasMessageContaining("404");
        }
    }

    @Test
    void anUnreachableRegistryIsAnErrorNamingTheUrl() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port + "/apis/ccompat/v7";
        Serde<Frame> serde = AvroSerde.forValues(Frame.getClassSchema(), url);
        assertThatThrownBy(() -> serde.serializer().serialize("frames", SampleRecords.frame(1)))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining(url + "/subjects/frames-value/versions")
                .hasMessageContaining("unreachable");
    }

    @Test
    void malformedPayloadsAreRejectedWithTheReason() throws Exception {
        try (FakeRegistry registry = new FakeRegistry()) {
            Serde<Frame> serde = AvroSerde.forValues(Frame.getClassSchema(), registry.url());
            byte[] good = serde.serializer().serialize("frames", SampleRecords.frame(3));
            assertThatThrownBy(() -> serde.deserializer().deserialize("frames", new byte[0]))
                    .isInstanceOf(SerializationException.class).hasMessageContaining("empty payload");
            assertThatThrownBy(() -> serde.deserializer().deserialize("frames", new byte[] {1, 2, 3, 4, 5, 6}))
                    .hasMessageContaining("unknown magic byte 1");
            assertThatThrownBy(() -> serde.deserializer().deserialize("frames", new byte[] {0, 0}))
                    .hasMessageContaining("shorter than the 5-byte header");
            byte[] truncated = Arrays.copyOf(good, good.length - 100);
            assertThatThrownBy(() -> serde.deserializer().deserialize("frames", truncated))
                    .isInstanceOf(SerializationException.class).hasMessageContaining("cannot decode io.sieve.schemas.Frame");
            byte[] trailing = Arrays.copyOf(good, good.length + 3);
            assertThatThrownBy(() -> serde.deserializer().deserialize("frames", trailing))
                    .hasMessageContaining("trailing bytes");
        }
    }

    @Test
    void aSerdeUsedWithoutARegistryUrlSaysSo() {
        assertThatThrownBy(() -> new AvroSerde<>(Frame.getClassSchema()).configure(java.util.Map.of(), false))
                .hasMessageContaining("schema.registry.url");
    }
}
