package io.sieve.bench;

import io.sieve.images.Cifar10;
import io.sieve.images.Image;
import io.sieve.cascade.model.OnnxClassifier;
import io.sieve.cascade.model.ClassProbabilities;
import java.nio.file.Path;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** One call of the Java model stage (preprocessing, ONNX Runtime, softmax) on {@code batch} CIFAR-10 test images. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dsieve.home=.")
public class OnnxClassifierBenchmark {
    @Param({"sievenet_m", "resnet20"})
    String model;

    @Param({"1", "64"})
    int batch;

    private OnnxClassifier stage;
    private List<Image> images;

    @Setup
    public void setUp() {
        Path home = Path.of(System.getProperty("sieve.home", ".")).toAbsolutePath();
        stage = OnnxClassifier.load(home.resolve("models/onnx/" + model + ".card.json"), 1);
        Path cifar = Cifar10.locate(Cifar10.defaultLocations(home, System.getenv()));
        images = Cifar10.read(cifar.resolve(Cifar10.TEST_FILE), 0, batch).images();
    }

    @Benchmark
    public List<ClassProbabilities> predict() {
        return stage.predict(images);
    }

    @TearDown
    public void tearDown() {
        stage.close();
    }
}
