package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.cascade.model.ModelCard;
import io.sieve.cascade.runtime.Cascade;
import io.sieve.cascade.runtime.StageDecision;
import io.sieve.client.ClusterConfig;
import io.sieve.client.Topics;
import io.sieve.images.Image;
import io.sieve.images.ImageCodec;
import io.sieve.images.ImageFolder;
import io.sieve.images.LabelledImages;
import io.sieve.images.PixelEncoding;
import io.sieve.platform.PlatformConfig;
import io.sieve.platform.testing.IntegrationTest;
import io.sieve.producer.FramePublisher;
import io.sieve.producer.ListSource;
import io.sieve.producer.ProducerRun;
import io.sieve.schemas.Prediction;
import io.sieve.stream.SieveStreamApp;
import io.sieve.stream.StreamAppConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A new user's path end to end: two ONNX models of their own (64x64 NCHW logits, 224x224 NHWC
 * probabilities, made here with the onnx package), {@code model add} for each, {@code calibrate}
 * and {@code evaluate} on an image folder written here, then the cascade on the real broker and
 * registry with JPEG frames at the larger input size: every frame decided once, as in-process.
 */
@IntegrationTest
class BringYourOwnModelIT {
    private static final String PYTHON = "/usr/bin/python3";
    private static final List<String> CLASSES = List.of("red", "green", "blue");
    private static final int PER_CLASS = 300;

    private record Run(int exit, String out, String err) {
    }

    private static Run sieve(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void aCascadeOfTheUsersOwnModelsAndImagesRunsThroughKafkaAsInProcess(PlatformConfig platform, @TempDir Path dir) throws Exception {
        Path home = FixtureCascade.home();
        Path models = dir.resolve("models");
        Process python = new ProcessBuilder(PYTHON, home.resolve("models/byo_fixtures.py").toString(), models.toString())
                .redirectErrorStream(true).start();
        String pythonOutput = new String(python.getInputStream().readAllBytes());
        assertThat(python.waitFor()).as("byo_fixtures.py (needs Debian's python3-onnx): %s", pythonOutput).isZero();

        // model add: cards that load, with what the graphs say.
        Files.write(models.resolve("classes.txt"), CLASSES);
        String[] normalise = {"--mean", "0.5,0.5,0.5", "--std", "0.25,0.25,0.25"};
        Run cheap = sieve(concat(new String[] {"model", "add", models.resolve("colour64.onnx").toString(), "--classes", "red,green,blue"},
                normalise));
        assertThat(cheap.exit()).as(cheap.err()).isZero();
        Run expensive = sieve(concat(new String[] {"model", "add", models.resolve("colour224.onnx").toString(), "--classes",
                models.resolve("classes.txt").toString(), "--resize", "bilinear", "--test-accuracy", "0.99"}, normalise));
        assertThat(expensive.exit()).as(expensive.err()).isZero();
        ModelCard small = ModelCard.read(models.resolve("colour64.card.json"));
        ModelCard large = ModelCard.read(models.resolve("colour224.card.json"));
        assertThat(small.input().layout()).isEqualTo("NCHW");
        assertThat(small.output().kind()).isEqualTo("logits");
        assertThat(small.macs()).isEqualTo(3L * 16 * 16 * 3 * 4 * 4 + 9);
        assertThat(large.input().layout()).isEqualTo("NHWC");
        assertThat(large.input().width()).isEqualTo(224);
        assertThat(large.output().kind()).isEqualTo("probabilities");
        assertThat(large.macs()).isEqualTo(3L * 28 * 28 * 3 * 8 * 8 + 9);
        assertThat(large.classes()).isEqualTo(CLASSES);
        assertThat(large.measured()).containsKey("ms_per_image_batch_1");
        assertThat(sieve("model", "add", models.resolve("colour64.onnx").toString(), "--name", "two", "--classes", "red,green").err())
                .contains("the model scores 3 classes but 2 class names were given");

        // calibrate on an image folder, split in half; the cascade file says what it was calibrated on. Costs in MACs, so
        // that the operating point does not depend on how busy the machine is while the models are timed.
        Path images = writeImageFolder(dir.resolve("images"));
        Path cascadeFile = dir.resolve("colour.cascade.json");
        Run calibrate = sieve("calibrate", "--models", models.resolve("colour64.card.json") + "," + models.resolve("colour224.card.json"),
                "--eps", "0.02", "--cost", "MACS", "--data", images.toString(), "--split", "0.5", "--out", cascadeFile.toString());
        assertThat(calibrate.exit()).as(calibrate.err()).isZero();
        CascadeDefinition definition = CascadeDefinition.read(cascadeFile);
        @SuppressWarnings("unchecked")
        Map<String, Object> data = (Map<String, Object>) definition.calibration().get("calibration_data");
        LabelledImages all = ImageFolder.read(images, 224, 224);
        assertThat(data).containsEntry("kind", "image-folder").containsEntry("path", images.toString())
                .containsEntry("sha256", all.sha256()).containsEntry("split", 0.5).containsEntry("frames", 3 * PER_CLASS / 2);
        assertThat(definition.stages().get(0).threshold()).as("the cheap stage decides some frames").isLessThanOrEqualTo(1.0);

        Path report = dir.resolve("report");
        Run evaluate = sieve("evaluate", "--cascade", cascadeFile.toString(), "--out", report.toString());
        assertThat(evaluate.exit()).as(evaluate.err()).isZero();
        assertThat(Files.readString(report.resolve("report.md"))).contains("colour64").contains("colour224");

        // Query targets are the cascade's classes.
        assertThat(QueryLifecycleCommand.validClass("green", cascadeFile)).isEqualTo("green");
        assertThatThrownBy(() -> QueryLifecycleCommand.validClass("cat", cascadeFile)).hasMessageContaining("red, green, blue");

        // Live: JPEG frames at the largest input (224x224), through the real broker and registry.
        ModelCards cards = ModelCards.ofCascade(cascadeFile);
        assertThat(cards.frameSize()).isEqualTo(new FrameSize(224, 224));
        PixelEncoding encoding = ProduceCommand.pixelEncoding(ProduceCommand.EncodingChoice.AUTO, cards.frameSize());
        assertThat(encoding).isEqualTo(PixelEncoding.JPEG);
        LabelledImages test = all.split(0.5, 1).second();
        List<Image> asSent = test.images().stream()
                .map(i -> ImageCodec.decode(ImageCodec.encode(i, encoding, ImageCodec.DEFAULT_JPEG_QUALITY), encoding, 224, 224, 3,
                        Image.Layout.HWC)).toList();
        Map<Long, Integer> expected = new HashMap<>();
        int[] decidedBy = new int[2];
        try (Cascade cascade = Cascade.load(cascadeFile, 1)) {
            List<List<StageDecision>> trails = cascade.classify(asSent);
            for (int i = 0; i < trails.size(); i++) {
                StageDecision last = trails.get(i).get(trails.get(i).size() - 1);
                expected.put((long) i, last.label());
                decidedBy[last.stage()]++;
            }
        }
        assertThat(decidedBy).as("both stages decide frames").doesNotContain(0);

        String prefix = "byo-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        ClusterConfig cluster = platform.cluster().withSetting("topic.prefix", prefix).withSetting("application.id", prefix + "app")
                .withSetting("metrics.port", "0").withSetting("state.dir", dir.resolve("state").toString());
        Topics topics = new Topics(prefix, platform.registryUrl());
        try (SieveStreamApp app = SieveStreamApp.start(cascadeFile, cluster, StreamAppConfig.from(cluster, home), Duration.ofSeconds(90))) {
            ListSource source = new ListSource("test part", "cam-byo", test.images(), Arrays.stream(test.labels()).boxed().toList());
            try (FramePublisher publisher = new FramePublisher(cluster, topics.frames(0).name(), 16, Duration.ofMillis(50), encoding)) {
                ProducerRun.run(List.of(source), publisher, 0, null, new AtomicBoolean(), n -> { });
            }
            assertThat(predictions(platform, topics, test.size())).isEqualTo(expected);
        }
    }

    /** Every frame's label by sequence; fails on a second prediction for any frame. */
    private static Map<Long, Integer> predictions(PlatformConfig platform, Topics topics, int frames) {
        Map<Long, Integer> actual = new HashMap<>();
        try (var consumer = PredictionCounts.consumer(platform, topics.predictions().valueSerde().deserializer())) {
            consumer.subscribe(List.of(topics.predictions().name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                for (ConsumerRecord<String, Prediction> r : consumer.poll(Duration.ofMillis(200))) {
                    Prediction p = r.value();
                    assertThat(actual.put(p.getSequence(), p.getLabel())).as("second prediction for frame %d", p.getSequence()).isNull();
                    assertThat(p.getLabelName().toString()).isEqualTo(CLASSES.get(p.getLabel()));
                }
                if (actual.size() >= frames && quietUntil == Long.MAX_VALUE) {
                    quietUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                }
            }
        }
        return actual;
    }

    /**
     * Pictures of one dominant colour per class, of three sizes and both formats, with pixel noise;
     * the other two channels come within a random gap of the dominant one, so some are hard.
     */
    static Path writeImageFolder(Path root) throws Exception {
        Random random = new Random(42);
        int[][] sizes = {{96, 72}, {256, 256}, {320, 180}};
        for (int c = 0; c < CLASSES.size(); c++) {
            Path folder = Files.createDirectories(root.resolve(CLASSES.get(c)));
            for (int i = 0; i < PER_CLASS; i++) {
                int[] size = sizes[i % sizes.length];
                int dominant = 110 + random.nextInt(90);
                int[] colour = new int[3];
                for (int k = 0; k < 3; k++) {
                    colour[k] = k == c ? dominant : Math.max(0, dominant - 2 - random.nextInt(70));
                }
                byte[] px = new byte[size[0] * size[1] * 3];
                for (int p = 0; p < px.length; p++) {
                    px[p] = (byte) Math.min(255, Math.max(0, colour[p % 3] + random.nextInt(31) - 15));
                }
                Image image = new Image(size[0], size[1], 3, Image.Layout.HWC, px);
                PixelEncoding format = i % 2 == 0 ? PixelEncoding.PNG : PixelEncoding.JPEG;
                Files.write(folder.resolve(String.format("%04d.%s", i, format == PixelEncoding.PNG ? "png" : "jpg")),
                        ImageCodec.encode(image, format, 0.95f));
            }
        }
        return root;
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
