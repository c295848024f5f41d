package io.sieve.cascade.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sieve.images.ResizeMethod;
import io.sieve.images.ResizeTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What Sieve needs to know to run an ONNX image classifier: where the model is, the input tensor's
 * name, shape and normalisation, what the output holds, and the class names. Cards are JSON files
 * next to their models; unknown or missing fields are errors, so a typo never silently changes
 * how frames are preprocessed.
 */
public record ModelCard(
        @JsonProperty(value = "name", required = true) String name,
        @JsonProperty("description") String description,
        @JsonProperty(value = "onnx", required = true) String onnx,
        @JsonProperty(value = "input", required = true) Input input,
        @JsonProperty(value = "output", required = true) Output output,
        @JsonProperty("continues") Continuation continues,
        @JsonProperty(value = "classes", required = true) List<String> classes,
        @JsonProperty("params") Long params,
        @JsonProperty("macs") Long macs,
        @JsonProperty("weight_bits") Integer weightBits,
        @JsonProperty("validation_accuracy") Double validationAccuracy,
        @JsonProperty("test_accuracy") Double testAccuracy,
        @JsonProperty("training") Map<String, Object> training,
        @JsonProperty("measured") Map<String, Object> measured,
        @JsonIgnore Path cardPath) {

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private static final Set<String> REQUIRED_FIELDS = Set.of("name", "onnx", "input", "output", "classes");
    private static final Set<String> KNOWN_FIELDS = new TreeSet<>(Set.of("name", "description", "onnx", "input", "output",
            "continues", "classes", "params", "macs", "weight_bits", "validation_accuracy", "test_accuracy", "training", "measured"));

    @JsonCreator
    public ModelCard {
    }

    /**
     * The model's input: an NCHW or NHWC float tensor of RGB images fed with
     * {@code (pixel * scale - mean[c]) / std[c]}, brought to its size by {@code resize} (default
     * {@code area}; see {@link ResizeMethod}).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Input(
            @JsonProperty(value = "name", required = true) String name,
            @JsonProperty(value = "shape", required = true) long[] shape,
            @JsonProperty(value = "layout", required = true) String layout,
            @JsonProperty(value = "scale", required = true) double scale,
            @JsonProperty(value = "mean", required = true) double[] mean,
            @JsonProperty(value = "std", required = true) double[] std,
            @JsonProperty("resize") String resize) {
        public static final String NCHW = "NCHW";
        public static final String NHWC = "NHWC";

        @JsonCreator
        public Input {
        }

        public boolean channelsLast() {
            return NHWC.equals(layout);
        }

        public int channels() {
            return (int) shape[channelsLast() ? 3 : 1];
        }

        public int height() {
            return (int) shape[channelsLast() ? 1 : 2];
        }

        public int width() {
            return (int) shape[channelsLast() ? 2 : 3];
        }

        public ResizeMethod resizeMethod() {
            return resize == null ? ResizeMethod.AREA : ResizeMethod.parse(resize);
        }

        /** The size this model takes frames at and how they are brought to it. */
        public ResizeTarget target() {
            return new ResizeTarget(width(), height(), resizeMethod());
        }
    }

    /** The model's output: {@code kind} is {@code logits} (softmax applied here) or {@code probabilities}. */
    public record Output(
            @JsonProperty(value = "name", required = true) String name,
            @JsonProperty(value = "shape", required = true) long[] shape,
            @JsonProperty(value = "kind", required = true) String kind) {
        @JsonCreator
        public Output {
        }

        @JsonIgnore
        public boolean isLogits() {
            return "logits".equals(kind);
        }
    }

    /**
     * A model that finishes work another model began, as the later part of an ensemble or a trunk
     * segment after an early exit does: it runs only right after {@code model} (the card name of the
     * stage before it), on the same frames, and takes that model's outputs as inputs, handed on in
     * memory: {@code inputs} maps each such input of its graph to the output of {@code model} it
     * takes. Its graph may also take the frame itself (the card's {@code input}). Its MACs and time
     * are its own; the frames it gets have already paid for {@code model}.
     */
    public record Continuation(
            @JsonProperty(value = "model", required = true) String model,
            @JsonProperty(value = "inputs", required = true) Map<String, String> inputs) {
        @JsonCreator
        public Continuation {
            inputs = Map.copyOf(inputs);
        }
    }

    /** Reads and validates a card; every problem is reported with the card's path. */
    public static ModelCard read(Path cardFile) {
        if (!Files.isRegularFile(cardFile)) {
            throw new ModelException("model card " + cardFile + " does not exist");
        }
        ModelCard card;
        try {
            JsonNode tree = JSON.readTree(cardFile.toFile());
            if (!tree.isObject()) {
                throw new ModelException("model card " + cardFile + " is not a JSON object");
            }
            Set<String> unknown = new TreeSet<>();
            tree.fieldNames().forEachRemaining(unknown::add);
            Set<String> missing = new TreeSet<>(REQUIRED_FIELDS);
            missing.removeAll(unknown);
            unknown.removeAll(KNOWN_FIELDS);
            if (!unknown.isEmpty() || !missing.isEmpty()) {
                throw new ModelException("model card " + cardFile + " is invalid:"
                        + (unknown.isEmpty() ? "" : " unknown field(s) " + unknown + " (known: " + KNOWN_FIELDS + ")")
                        + (missing.isEmpty() ? "" : " missing field(s) " + missing));
            }
            card = JSON.treeToValue(tree, ModelCard.class);
        } catch (JsonMappingException e) {
            throw new ModelException("model card " + cardFile + " is invalid: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ModelException("cannot read model card " + cardFile + ": " + e.getMessage(), e);
        }
        card = new ModelCard(card.name, card.description, card.onnx, card.input, card.output, card.continues, card.classes, card.params,
                card.macs, card.weightBits, card.validationAccuracy, card.testAccuracy, card.training, card.measured, cardFile.toAbsolutePath().normalize());
        List<String> problems = card.problems();
        if (!problems.isEmpty()) {
            throw new ModelException("model card " + cardFile + " is invalid: " + String.join("; ", problems));
        }
        return card;
    }

    /**
     * Whether every product of a uint8 activation and one of the model's integer weights, summed in
     * pairs, fits in 16 bits: then ONNX Runtime's fast u8s8 kernel, which sums in 16 bits on x86 CPUs
     * without VNNI, is exact. Only a card that states its weights take at most 7 bits says so.
     */
    public boolean pairSumsFitSixteenBits() {
        return weightBits != null && weightBits <= 7;
    }

    public Path onnxPath() {
        return cardPath.resolveSibling(onnx);
    }

    public int numClasses() {
        return classes.size();
    }

    /**
     * Checks that every stage names the same classes in the same order: a cascade hands one
     * stage's label index on as another's.
     *
     * @throws ModelException naming the first card that differs from the first one
     */
    public static void requireSameClasses(List<ModelCard> cards) {
        for (ModelCard card : cards) {
            if (!card.classes.equals(cards.get(0).classes)) {
                throw new ModelException("model " + card.name + " (" + card.cardPath + ") has classes " + summary(card.classes)
                        + " but model " + cards.get(0).name + " has " + summary(cards.get(0).classes)
                        + ": every stage of a cascade needs the same classes in the same order");
            }
        }
    }

    /**
     * Checks that every card that continues another follows it: a continuation needs, for each of
     * its frames, the outputs the model before it computed on that frame.
     *
     * @throws ModelException naming the first card out of place
     */
    public static void requireContinuationsFollow(List<ModelCard> cards) {
        for (int s = 0; s < cards.size(); s++) {
            Continuation continuation = cards.get(s).continues;
            if (continuation == null) {
                continue;
            }
            ModelCard card = cards.get(s);
            if (s == 0 || !cards.get(s - 1).name.equals(continuation.model)) {
                throw new ModelException("model " + card.name + " (" + card.cardPath + ") continues model " + continuation.model
                        + " and takes its outputs " + continuation.inputs + ", so it must come right after it, but "
                        + (s == 0 ? "it comes first" : "it comes after " + cards.get(s - 1).name));
            }
        }
    }

    /**
     * {@code card} and, before it, the models it continues, each read from the card named after it
     * beside the one that continues it: the models a cascade must run, in order, for {@code card}.
     *
     * @throws ModelException if a card in the chain is missing, or the chain loops
     */
    public static List<ModelCard> chainEndingAt(ModelCard card) {
        List<ModelCard> chain = new ArrayList<>(List.of(card));
        while (chain.get(0).continues != null) {
            ModelCard later = chain.get(0);
            Path previous = later.cardPath.resolveSibling(later.continues.model + ".card.json");
            if (!Files.isRegularFile(previous)) {
                throw new ModelException("model " + later.name + " continues model " + later.continues.model + ", whose card "
                        + previous + " does not exist");
            }
            ModelCard before = read(previous);
            if (chain.stream().anyMatch(c -> c.name.equals(before.name))) {
                throw new ModelException("model " + card.name + " continues a chain of models that loops back to " + before.name);
            }
            chain.add(0, before);
        }
        return chain;
    }

    /** The outputs the model at {@code stage} hands on to the next one, which continues it (none if it does not). */
    public static Set<String> handedOn(List<ModelCard> cards, int stage) {
        return stage + 1 < cards.size() && cards.get(stage + 1).continues != null ? Set.copyOf(cards.get(stage + 1).continues.inputs.values()) : Set.of();
    }

    private static String summary(List<String> classes) {
        return classes.size() <= 12 ? classes.toString() : classes.subList(0, 12) + " and " + (classes.size() - 12) + " more";
    }

    /** Writes this card as JSON (unset optional fields left out). */
    public void write(Path file) {
        try {
            JSON.copy().setSerializationInclusion(JsonInclude.Include.NON_NULL)
                    .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), this);
        } catch (IOException e) {
            throw new ModelException("cannot write model card " + file + ": " + e.getMessage(), e);
        }
    }

    private List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (!Input.NCHW.equals(input.layout) && !Input.NHWC.equals(input.layout)) {
            problems.add("input layout '" + input.layout + "' is not supported (NCHW or NHWC)");
        } else if (input.shape.length != 4 || input.channels() != 3 || input.height() < 1 || input.width() < 1) {
            problems.add("input shape " + Arrays.toString(input.shape) + " is not "
                    + (input.channelsLast() ? "[batch, height, width, 3]" : "[batch, 3, height, width]") + " for layout " + input.layout);
        }
        if (input.resize != null) {
            try {
                ResizeMethod.parse(input.resize);
            } catch (IllegalArgumentException e) {
                problems.add("input " + e.getMessage());
            }
        }
        if (params != null && params < 0 || macs != null && macs < 0) {
            problems.add("params and macs cannot be negative");
        }
        if (weightBits != null && (weightBits < 2 || weightBits > 8)) {
            problems.add("weight_bits " + weightBits + " must be between 2 and 8 (the bits of the model's integer weights)");
        }
        if (input.mean.length != 3 || input.std.length != 3) {
            problems.add("input mean and std need one value per RGB channel");
        } else if (Arrays.stream(input.std).anyMatch(s -> !(s > 0) || !Double.isFinite(s))) {
            problems.add("input std " + Arrays.toString(input.std) + " must be positive and finite");
        } else if (Arrays.stream(input.mean).anyMatch(m -> !Double.isFinite(m))) {
            problems.add("input mean " + Arrays.toString(input.mean) + " must be finite");
        }
        if (!(input.scale > 0) || !Double.isFinite(input.scale)) {
            problems.add("input scale " + input.scale + " must be positive and finite");
        }
        if (!"logits".equals(output.kind) && !"probabilities".equals(output.kind)) {
            problems.add("output kind '" + output.kind + "' must be 'logits' or 'probabilities'");
        }
        if (continues != null && (continues.model.isBlank() || continues.inputs.isEmpty()
                || continues.inputs.entrySet().stream().anyMatch(e -> e.getKey().isBlank() || e.getValue() == null || e.getValue().isBlank()))) {
            problems.add("continues needs the name of the model it continues and its inputs, each mapped to the output of that model it takes");
        }
        if (classes.size() < 2) {
            problems.add("a classifier needs at least 2 class names");
        }
        if (output.shape.length != 2 || output.shape[1] != classes.size()) {
            problems.add("output shape " + Arrays.toString(output.shape) + " does not match " + classes.size() + " classes");
        }
        return problems;
    }
}
