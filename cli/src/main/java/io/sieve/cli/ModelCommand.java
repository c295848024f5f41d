package io.sieve.cli;

import io.sieve.cascade.model.ModelCard;
import io.sieve.cascade.model.ModelIntake;
import io.sieve.cascade.model.OnnxClassifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "model", mixinStandardHelpOptions = true, description = "Bring your own ONNX classifier into Sieve.",
        subcommands = ModelCommand.Add.class)
final class ModelCommand {

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Inspect an ONNX image classifier and write its model card (<name>.card.json) next to it:",
                "input and output names and shapes, layout, whether the output already sums to 1, opsets, MACs where the graph",
                "allows counting them, and measured milliseconds per image. The card is what calibrate, evaluate and stream read."})
    static final class Add implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE.onnx", description = "The ONNX model.")
        Path onnx;

        @Option(names = "--classes", required = true,
                description = "Class names in output order: a file with one per line, or a comma-separated list (cat,dog).")
        String classes;

        @Option(names = "--name", description = "Model name (default: the file name without .onnx).")
        String name;

        @Option(names = "--mean", split = ",", defaultValue = "0,0,0",
                description = "Per-channel mean (R,G,B) subtracted after scaling, e.g. 0.485,0.456,0.406 (default: ${DEFAULT-VALUE}).")
        double[] mean;

        @Option(names = "--std", split = ",", defaultValue = "1,1,1",
                description = "Per-channel std (R,G,B) divided by, e.g. 0.229,0.224,0.225 (default: ${DEFAULT-VALUE}).")
        double[] std;

        @Option(names = "--scale", defaultValue = "0.00392156862745098",
                description = "Pixel scale applied before mean and std: 1/255 maps 0-255 to 0-1; 1 keeps 0-255 (default: 1/255).")
        double scale;

        @Option(names = "--layout", description = "NCHW or NHWC (default: from the input's shape).")
        String layout;

        @Option(names = "--input", description = "The image input, when the graph has several.")
        String input;

        @Option(names = "--output", description = "The class-score output, when the graph has several.")
        String output;

        @Option(names = "--size", description = "Input WIDTHxHEIGHT, for a graph whose image size is free.")
        String size;

        @Option(names = "--resize", defaultValue = "area",
                description = "How frames are brought to the input size: area, bilinear or center-crop (default: ${DEFAULT-VALUE}).")
        String resize;

        @Option(names = "--kind", description = "logits or probabilities (default: found by running the model).")
        String kind;

        @Option(names = "--test-accuracy", description = "The model's accuracy on data it was not trained on, as a fraction; calibrate warns when calibration frames look seen in training.")
        Double testAccuracy;

        @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime threads for the timing (default: ${DEFAULT-VALUE}).")
        int threads;

        @Option(names = "--force", description = "Overwrite an existing card.")
        boolean force;

        @Override
        public Integer call() throws IOException {
            String modelName = name != null ? name : onnx.getFileName().toString().replaceFirst("(?i)\\.onnx$", "");
            Path cardFile = onnx.toAbsolutePath().resolveSibling(modelName + ".card.json");
            if (Files.exists(cardFile) && !force) {
                throw new IllegalArgumentException(cardFile + " already exists; --force overwrites it");
            }
            FrameSize inputSize = size != null ? FrameSize.parse(size) : null;
            ModelCard card = ModelIntake.card(new ModelIntake.Request(onnx, modelName, classNames(classes), input, output, layout,
                    inputSize == null ? null : inputSize.width(), inputSize == null ? null : inputSize.height(), scale, mean, std,
                    resize, kind, testAccuracy, threads));
            card.write(cardFile);
            // Proof that the card is one Sieve runs: read it back and load the model through it.
            try (OnnxClassifier loaded = OnnxClassifier.load(cardFile, threads)) {
                print(loaded.card(), cardFile);
            } catch (RuntimeException e) {
                Files.deleteIfExists(cardFile);
                throw e;
            }
            return 0;
        }

        private static void print(ModelCard card, Path cardFile) {
            ModelCard.Input in = card.input();
            Map<String, Object> measured = card.measured();
            System.out.printf("Model %s: %s input '%s' %s, %s, resize %s%n", card.name(), in.layout(), in.name(),
                    Arrays.toString(in.shape()), in.width() + "x" + in.height(), in.resizeMethod().cardName());
            System.out.printf("  output '%s': %s over %d classes (%s)%n", card.output().name(), card.output().kind(), card.numClasses(),
                    card.numClasses() <= 10 ? String.join(", ", card.classes()) : String.join(", ", card.classes().subList(0, 10)) + ", ...");
            System.out.printf("  opsets %s; %s parameters; %s%n", measured.get("opsets"), card.params() == null ? "?" : String.format("%,d", card.params()),
                    card.macs() != null ? String.format("%.2f MMACs per image", card.macs() / 1e6)
                            : "MACs unknown: " + measured.get("macs_unknown_because"));
            System.out.printf("  measured: %s ms per image at batch 1, %s ms at batch 32 (%s ONNX Runtime thread(s))%n",
                    measured.get("ms_per_image_batch_1"), measured.get("ms_per_image_batch_32"), measured.get("threads"));
            System.out.println("Wrote " + cardFile);
        }
    }

    /** Class names from a file (one per line) or a comma-separated list. */
    static List<String> classNames(String spec) throws IOException {
        Path file = Path.of(spec);
        List<String> names = Files.isRegularFile(file)
                ? Files.readAllLines(file).stream().map(String::trim).filter(s -> !s.isEmpty() && !s.startsWith("#")).toList()
                : Arrays.stream(spec.split(",")).map(String::trim).toList();
        if (names.size() < 2 || names.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("--classes needs at least two non-empty names (a file with one per line, or a,b,c), got '"
                    + spec + "'" + (Files.exists(file) ? "" : " (no such file, so read as a list)"));
        }
        return names;
    }
}
