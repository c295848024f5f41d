package io.sieve.cascade.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Turns a user's ONNX classifier into a {@link ModelCard}: finds the image input and the scores
 * output in the graph, works out the layout, tells logits from probabilities by running the model,
 * counts MACs where the graph allows it and measures milliseconds per image always. Whatever it
 * cannot settle on its own it refuses with the question to answer (an option to give).
 */
public final class ModelIntake {
    /** Threshold for "already sums to 1": float softmax rows are off by far less. */
    private static final double SUM_TOLERANCE = 1e-3;

    /** What the user tells about the model; null fields are worked out from the graph. */
    public record Request(Path onnx, String name, List<String> classes, String inputName, String outputName, String layout,
                          Integer width, Integer height, double scale, double[] mean, double[] std, String resize, String kind,
                          Double heldOutAccuracy, int threads) {
    }

    private ModelIntake() {
    }

    /**
     * The card for {@code request.onnx()}, written next to it as {@code <name>.card.json} only by
     * the caller; timings use {@code request.threads()} intra-op threads.
     *
     * @throws ModelException saying what is wrong with the graph or which option settles it
     */
    public static ModelCard card(Request request) {
        Path onnx = request.onnx().toAbsolutePath().normalize();
        if (!Files.isRegularFile(onnx)) {
            throw new ModelException("ONNX file " + onnx + " does not exist");
        }
        OnnxGraph graph = OnnxGraph.read(onnx);
        OnnxGraph.ValueInfo input = pick("input", graph.inputs(), request.inputName(), "--input");
        if (input.shape().length != 4) {
            throw new ModelException(onnx.getFileName() + " is not an image classifier Sieve can run: input '" + input.name()
                    + "' has shape " + Arrays.toString(input.shape()) + "; an image input is 4-D, [batch, 3, height, width] (NCHW) "
                    + "or [batch, height, width, 3] (NHWC)");
        }
        if (input.elementType() != OnnxGraph.ValueInfo.FLOAT) {
            throw new ModelException("input '" + input.name() + "' of " + onnx.getFileName() + " holds ONNX element type "
                    + input.elementType() + ", not float (1): Sieve feeds normalised float images");
        }
        String layout = layout(input, request.layout());
        boolean last = ModelCard.Input.NHWC.equals(layout);
        long h = input.shape()[last ? 1 : 2];
        long w = input.shape()[last ? 2 : 3];
        if (request.height() != null) {
            if (h > 0 && h != request.height() || w > 0 && w != request.width()) {
                throw new ModelException("--size " + request.width() + "x" + request.height() + " differs from the graph's fixed input "
                        + w + "x" + h);
            }
            h = request.height();
            w = request.width();
        } else if (h < 1 || w < 1) {
            throw new ModelException("input '" + input.name() + "' has a free image size " + Arrays.toString(input.shape())
                    + ": give the size the model was trained at with --size WIDTHxHEIGHT");
        }
        long[] inputShape = last ? new long[] {-1, h, w, 3} : new long[] {-1, 3, h, w};
        OnnxGraph.ValueInfo output = pick("output", graph.outputs(), request.outputName(), "--output");
        if (output.shape().length != 2) {
            throw new ModelException("output '" + output.name() + "' has shape " + Arrays.toString(output.shape())
                    + ": a classifier's scores are 2-D, [batch, classes]" + (graph.outputs().size() > 1 ? "; pick another with --output" : ""));
        }
        ModelCard.Input cardInput = new ModelCard.Input(input.name(), inputShape, layout, request.scale(), request.mean(),
                request.std(), request.resize());
        float[][] rows = run(onnx, cardInput, output.name(), request.threads());
        int classes = rows[0].length;
        if (output.shape()[1] > 0 && output.shape()[1] != classes) {
            throw new ModelException("output '" + output.name() + "' declares " + output.shape()[1] + " classes but returned " + classes);
        }
        if (request.classes().size() != classes) {
            throw new ModelException("the model scores " + classes + " classes but " + request.classes().size()
                    + " class names were given (" + summary(request.classes()) + "): give one name per output, in output order");
        }
        if (request.classes().stream().distinct().count() != classes) {
            throw new ModelException("class names must be distinct: " + summary(request.classes()));
        }
        String kind = kind(rows, request.kind(), graph.endsInSoftmax(output.name()));
        OnnxGraph.Macs macs = graph.macs(input.name(), inputShape);
        Map<String, Object> measured = new LinkedHashMap<>();
        if (macs.count() == null) {
            measured.put("macs_unknown_because", macs.unknownBecause());
        }
        Map<String, Long> opsets = new LinkedHashMap<>();
        graph.opsets().forEach((domain, version) -> opsets.put(domain.isEmpty() ? "ai.onnx" : domain, version));
        measured.put("opsets", opsets);
        measured.put("threads", request.threads());
        measured.put("processors", Runtime.getRuntime().availableProcessors());
        ModelCard draft = new ModelCard(request.name(), "added by sieve model add from " + onnx.getFileName(), onnx.getFileName().toString(),
                cardInput, new ModelCard.Output(output.name(), new long[] {-1, classes}, kind), null, List.copyOf(request.classes()),
                graph.parameters(), macs.count(), null, null, request.heldOutAccuracy(), null, measured, onnx.resolveSibling(request.name() + ".card.json"));
        try (OnnxClassifier model = OnnxClassifier.load(draft, request.threads(), OnnxClassifier.DEFAULT_MAX_BATCH)) {
            measured.put("ms_per_image_batch_1", msPerImage(model, 1));
            measured.put("ms_per_image_batch_32", msPerImage(model, 32));
        }
        return draft;
    }

    private static OnnxGraph.ValueInfo pick(String role, List<OnnxGraph.ValueInfo> values, String wanted, String option) {
        if (wanted != null) {
            return values.stream().filter(v -> v.name().equals(wanted)).findFirst().orElseThrow(() -> new ModelException(
                    "the graph has no " + role + " '" + wanted + "'; its " + role + "s are " + names(values)));
        }
        if (values.size() != 1) {
            throw new ModelException("the graph has " + values.size() + " " + role + "s " + names(values) + ": pick the "
                    + (role.equals("input") ? "image input" : "class scores") + " with " + option + " NAME");
        }
        return values.get(0);
    }

    private static List<String> names(List<OnnxGraph.ValueInfo> values) {
        return values.stream().map(v -> v.name() + Arrays.toString(v.shape())).toList();
    }

    private static String layout(OnnxGraph.ValueInfo input, String asked) {
        long[] s = input.shape();
        boolean nchw = s[1] == 3;
        boolean nhwc = s[3] == 3;
        if (asked != null) {
            if (!asked.equals(ModelCard.Input.NCHW) && !asked.equals(ModelCard.Input.NHWC)) {
                throw new ModelException("--layout must be NCHW or NHWC, got " + asked);
            }
            if (asked.equals(ModelCard.Input.NCHW) ? s[1] > 0 && !nchw : s[3] > 0 && !nhwc) {
                throw new ModelException("input '" + input.name() + "' has shape " + Arrays.toString(s) + ", which is not " + asked
                        + " with 3 colour channels");
            }
            return asked;
        }
        if (nchw == nhwc) {
            throw new ModelException("input '" + input.name() + "' has shape " + Arrays.toString(s) + ": cannot tell NCHW from NHWC"
                    + (nchw ? "" : " (no dimension of 3 RGB channels where either layout puts it)") + "; say which with --layout");
        }
        return nchw ? ModelCard.Input.NCHW : ModelCard.Input.NHWC;
    }

    /** Raw output rows for a few random images, before any softmax. */
    private static float[][] run(Path onnx, ModelCard.Input input, String output, int threads) {
        int n = 4;
        int size = 3 * input.width() * input.height();
        float[] data = new float[n * size];
        Random random = new Random(1);
        for (int i = 0; i < data.length; i++) {
            int channel = input.channelsLast() ? i % 3 : (i % size) / (input.width() * input.height());
            data[i] = (float) ((random.nextInt(256) * input.scale() - input.mean()[channel]) / input.std()[channel]);
        }
        long[] shape = input.channelsLast() ? new long[] {n, input.height(), input.width(), 3} : new long[] {n, 3, input.height(), input.width()};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            OnnxClassifier.configure(options, threads, true);
            try (OrtSession session = env.createSession(onnx.toString(), options);
                 OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
                 OrtSession.Result result = session.run(Map.of(input.name(), tensor))) {
                if (!(result.get(output).orElseThrow() instanceof OnnxTensor scores) || scores.getInfo().getShape().length != 2) {
                    throw new ModelException("output '" + output + "' is not a 2-D float tensor of class scores");
                }
                long[] outShape = scores.getInfo().getShape();
                if (outShape[0] != n) {
                    throw new ModelException("the model returned " + outShape[0] + " rows for a batch of " + n
                            + ": its batch dimension is fixed; Sieve needs a free batch dimension (export with dynamic_axes)");
                }
                FloatBuffer values = scores.getFloatBuffer();
                float[][] rows = new float[n][(int) outShape[1]];
                for (float[] row : rows) {
                    values.get(row);
                }
                return rows;
            }
        } catch (OrtException e) {
            throw new ModelException("ONNX Runtime cannot run " + onnx.getFileName() + " on a batch of " + n + " images of shape "
                    + Arrays.toString(shape) + ": " + e.getMessage(), e);
        }
    }

    /** Probabilities when every row is a probability vector (or the graph ends in Softmax), else logits. */
    private static String kind(float[][] rows, String asked, boolean softmaxAtEnd) {
        boolean sumsToOne = Arrays.stream(rows).allMatch(row -> {
            double sum = 0;
            for (float v : row) {
                if (!(v >= 0 && v <= 1 + SUM_TOLERANCE)) {
                    return false;
                }
                sum += v;
            }
            return Math.abs(sum - 1) <= SUM_TOLERANCE;
        });
        if (asked == null) {
            return sumsToOne || softmaxAtEnd ? "probabilities" : "logits";
        }
        if (asked.equals("probabilities") && !sumsToOne) {
            throw new ModelException("--kind probabilities, but the model's rows do not sum to 1 (first row "
                    + Arrays.toString(rows[0]) + "): they are logits; leave --kind out or give --kind logits");
        }
        if (!asked.equals("probabilities") && !asked.equals("logits")) {
            throw new ModelException("--kind must be logits or probabilities, got " + asked);
        }
        return asked;
    }

    /** Median milliseconds per image over about a second of calls at {@code batch}, after warm-up. */
    private static double msPerImage(OnnxClassifier model, int batch) {
        int size = model.inputSize();
        float[] input = new float[batch * size];
        for (int i = 0; i < 3; i++) {
            model.predict(input, batch);
        }
        List<Double> times = new ArrayList<>();
        long until = System.nanoTime() + 1_000_000_000L;
        while (times.size() < 5 || System.nanoTime() < until && times.size() < 1000) {
            long t0 = System.nanoTime();
            model.predict(input, batch);
            times.add((System.nanoTime() - t0) / 1e6 / batch);
        }
        times.sort(null);
        return Math.round(times.get(times.size() / 2) * 10_000) / 10_000.0;
    }

    private static String summary(List<String> names) {
        return names.size() <= 10 ? String.join(", ", names) : String.join(", ", names.subList(0, 10)) + ", ...";
    }
}
