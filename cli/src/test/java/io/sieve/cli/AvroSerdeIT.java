package io.sieve.cli;

import io.sieve.serde.SampleRecords;

import io.sieve.serde.AvroSerde;
import io.sieve.serde.ConfluentWireFormat;
import io.sieve.serde.HttpSchemaRegistry;
import io.sieve.serde.SchemaRegistryException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sieve.platform.PlatformConfig;
import io.sieve.platform.testing.IntegrationTest;
import io.sieve.schemas.Frame;
import io.sieve.schemas.Prediction;
import io.sieve.schemas.Progress;
import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryState;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

/** The serde against the real Apicurio server's Confluent-compatible API. */
@IntegrationTest
class AvroSerdeIT {

    @Test
    void everyRecordTypeRoundTripsThroughTheRealRegistry(PlatformConfig platform) {
        assertRoundTrip(platform, "frames", Frame.getClassSchema(), SampleRecords.frame(42));
        assertRoundTrip(platform, "predictions", Prediction.getClassSchema(), SampleRecords.prediction());
        assertRoundTrip(platform, "queries", QueryCommand.getClassSchema(), QueryCommand.newBuilder()
                .setQueryId("q-9").setAction(QueryAction.START).setCameras(List.of("camera-1", "camera-2"))
                .setTargetClass("automobile").setExpectedFrames(10_000L).setSeed(7).setIssuedTime(Instant.ofEpochMilli(5))
                .build());
        assertRoundTrip(platform, "progress", Progress.getClassSchema(), Progress.newBuilder()
                .setQueryId("q-9").setState(QueryState.RUNNING).setFramesSeen(10).setFramesDecided(9)
                .setEstimatedAccuracy(0.9).setAccuracyLow(0.85).setAccuracyHigh(0.94).setEmittedTime(Instant.ofEpochMilli(6))
                .build());
    }

    @Test
    void aRecordWrittenByTheSerdeDecodesWithPlainAvroAfterTheHeader(PlatformConfig platform) throws Exception {
        Serde<Frame> serde = AvroSerde.forValues(Frame.getClassSchema(), platform.registryUrl());
        Frame frame = SampleRecords.frame(7);
        byte[] bytes = serde.serializer().serialize("plain-avro-frames", frame);

        int id = ConfluentWireFormat.schemaId("plain-avro-frames", bytes);
        HttpResponse<String> reply = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(platform.registryUrl() + "/schemas/ids/" + id)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(reply.statusCode()).isEqualTo(200);
        Schema writer = new Schema.Parser().parse(new ObjectMapper().readTree(reply.body()).get("schema").asText());

        GenericRecord decoded = new GenericDatumReader<GenericRecord>(writer).read(null,
                DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null));
        assertThat(decoded.get("camera_id").toString()).isEqualTo("camera-7");
        assertThat(decoded.get("sequence")).isEqualTo(7L);
        assertThat(((ByteBuffer) decoded.get("pixels")).remaining()).isEqualTo(32 * 32 * 3);
        assertThat(decoded.get("label")).isEqualTo(7);
    }

    @Test
    void anIdTheRegistryDoesNotKnowIsAnErrorNamingIt(PlatformConfig platform) {
        Serde<Frame> serde = AvroSerde.forValues(Frame.getClassSchema(), platform.registryUrl());
        byte[] bytes = serde.serializer().serialize("unknown-id-frames", SampleRecords.frame(1));
        bytes[1] = 0x12;
        Serde<Frame> fresh = AvroSerde.forValues(Frame.getClassSchema(), platform.registryUrl());
        assertThatThrownBy(() -> fresh.deserializer().deserialize("unknown-id-frames", bytes))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("/schemas/ids/" + ConfluentWireFormat.schemaId("t", bytes));
    }

    @Test
    void clientsRegisteringANewSubjectAtTheSameMomentAllGetItsId(PlatformConfig platform) throws Exception {
        for (int round = 0; round < 5; round++) {
            String subject = "race-" + java.util.UUID.randomUUID() + "-value";
            var start = new java.util.concurrent.CountDownLatch(1);
            var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            try {
                List<java.util.concurrent.Future<Integer>> ids = new java.util.ArrayList<>();
                for (int client = 0; client < 8; client++) {
                    ids.add(pool.submit(() -> {
                        start.await();
                        return new HttpSchemaRegistry(platform.registryUrl()).register(subject, Frame.getClassSchema());
                    }));
                }
                start.countDown();
                int first = ids.get(0).get();
                for (var id : ids) {
                    assertThat(id.get()).isEqualTo(first);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static <T extends SpecificRecord> void assertRoundTrip(PlatformConfig platform, String topic, Schema schema, T record) {
        Serde<T> writer = AvroSerde.forValues(schema, platform.registryUrl());
        Serde<T> reader = AvroSerde.forValues(schema, platform.registryUrl());
        byte[] bytes = writer.serializer().serialize(topic, record);
        assertThat(reader.deserializer().deserialize(topic, bytes)).isEqualTo(record);
    }
}
