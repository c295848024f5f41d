package io.sieve.bench;

import io.sieve.client.FramePixels;
import io.sieve.images.Image;
import io.sieve.images.ImageCodec;
import io.sieve.images.PixelEncoding;
import io.sieve.images.Resize;
import io.sieve.images.ResizeMethod;
import io.sieve.producer.SourceFrame;
import io.sieve.producer.VideoSource;
import io.sieve.schemas.Frame;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * What a frame's pixel encoding costs per frame: in the producer ({@link #encode}) and in a stage
 * ({@link #decode}, and {@link #decodeAndResizeTo32} for a 32x32 cheap model), on real camera
 * footage (the sample traffic clip, decoded by ffmpeg at {@code side} x {@code side}). The setup
 * prints the mean payload size, which is what a record carries per frame.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=io.sieve.schemas")
public class FramePixelsBenchmark {
    private static final int FRAMES = 16;

    @Param({"32", "96", "224"})
    int side;

    @Param({"RAW", "JPEG", "PNG"})
    PixelEncoding encoding;

    private final List<Image> images = new ArrayList<>();
    private final List<Frame> frames = new ArrayList<>();
    private int next;

    @Setup
    public void setUp() {
        Path home = Path.of(System.getProperty("sieve.home", ".")).toAbsolutePath();
        Path clip = home.resolve(System.getProperty("sieve.bench.video", "../shared/data/video/car-detection.mp4")).normalize();
        try (VideoSource video = new VideoSource(clip.toString(), "bench", side, side, 2.0)) {
            for (SourceFrame f = video.next(); f != null && images.size() < FRAMES; f = video.next()) {
                images.add(f.image());
            }
        }
        long bytes = 0;
        for (int i = 0; i < images.size(); i++) {
            Frame frame = FramePixels.withImage(Frame.newBuilder().setCameraId("bench").setSequence(i).setCaptureTime(Instant.EPOCH),
                    images.get(i), encoding, ImageCodec.DEFAULT_JPEG_QUALITY).build();
            frames.add(frame);
            bytes += frame.getPixels().remaining();
        }
        System.out.printf("%n[payload] %dx%d %s: %,d bytes per frame on average over %d frames of %s%n", side, side, encoding,
                bytes / images.size(), images.size(), clip.getFileName());
    }

    @Benchmark
    public byte[] encode() {
        next = (next + 1) % images.size();
        return ImageCodec.encode(images.get(next), encoding, ImageCodec.DEFAULT_JPEG_QUALITY);
    }

    @Benchmark
    public Image decode() {
        next = (next + 1) % frames.size();
        return FramePixels.image(frames.get(next));
    }

    @Benchmark
    public Image decodeAndResizeTo32() {
        next = (next + 1) % frames.size();
        return Resize.to(FramePixels.image(frames.get(next)), 32, 32, ResizeMethod.AREA);
    }
}
