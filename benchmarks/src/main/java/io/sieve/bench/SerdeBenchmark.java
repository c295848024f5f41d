package io.sieve.bench;

import io.sieve.schemas.Frame;
import io.sieve.schemas.FrameBatch;
import io.sieve.schemas.PixelLayout;
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

/** Encoding and decoding one Kafka record of {@code frames} 32x32 frames; divide by frames for the cost per frame. */
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
