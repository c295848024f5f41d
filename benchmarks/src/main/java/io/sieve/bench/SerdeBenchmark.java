package io.sieve.bench;

import io.sieve.schemas.Frame;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.PixelLayout;
import io.sieve.schemas.Prediction;
import io.sieve.schemas.StageResult;
import io.sieve.serde.AvroSerde;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.Serde;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding and decoding one Kafka record of {@code frames} 32x32 frames; divide by frames for the
 * cost per frame. And the stage's record per decided frame: one prediction, encoded.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.sieve.schemas")
public class SerdeBenchmark {
    @Param({"1", "64"})
    int frames;

    private Serde<FrameBatch> serde;
    private FrameBatch batch;
    private byte[] encoded;
    private Serde<Prediction> predictionSerde;
    private Prediction prediction;

    @Setup
    public void setUp() {
        serde = AvroSerde.forValues(FrameBatch.getClassSchema(), "mock://bench");
        Random random = new Random(1);
        List<Frame> list = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            byte[] pixels = new byte[32 * 32 * 3];
            random.nextBytes(pixels);
            list.add(Frame.newBuilder().setCameraId("camera-1").setSequence(i).setCaptureTime(Instant.now()).setWidth(32)
                    .setHeight(32).setChannels(3).setLayout(PixelLayout.HWC).setPixels(ByteBuffer.wrap(pixels)).setLabel(3).build());
        }
        batch = new FrameBatch("camera-1", list);
        encoded = serde.serializer().serialize("frames", batch);
        predictionSerde = AvroSerde.forValues(Prediction.getClassSchema(), "mock://bench");
        prediction = Prediction.newBuilder().setCameraId("camera-1").setSequence(17).setCaptureTime(Instant.now()).setDecidingStage(0)
                .setModel("sievenet_m_kd").setLabel(3).setLabelName("cat").setConfidence(0.93f)
                .setStages(List.of(new StageResult(0, "sievenet_m_kd", 3, 0.93f, 55L, true))).setTrueLabel(3)
                .setDecidedTime(Instant.now()).setAuditRate(0.05).build();
    }

    @Benchmark
    public byte[] encodePrediction() {
        return predictionSerde.serializer().serialize("predictions", prediction);
    }

    @Benchmark
    public byte[] encode() {
        return serde.serializer().serialize("frames", batch);
    }

    @Benchmark
    public FrameBatch decode() {
        return serde.deserializer().deserialize("frames", encoded);
    }
}
