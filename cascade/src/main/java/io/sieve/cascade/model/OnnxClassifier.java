package io.sieve.cascade.model;

import io.sieve.images.Image;
import io.sieve.images.ResizeTarget;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX image classifier loaded through its {@link ModelCard}. Shapes are checked against the
 * card at load time; {@link #predict} preprocesses 8-bit images and runs them in batches.
 * Thread-safe (ONNX Runtime sessions may be run concurrently); {@link #close} frees the native session.
 */
public final class OnnxClassifier implements AutoCloseable {
    /** Larger batches gain nothing measurable on CPU and cost memory. */
    public static final int DEFAULT_MAX_BATCH = 256;
    private static final float PROBABILITY_TOLERANCE = 1e-3f;

    private final ModelCard card;
    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    private final int maxBatch;
    private final int imageSize;
    private final ResizeTarget target;
    private final float[] offset = new float[3];
    private final float[] multiplier = new float[3];
    /** False for a continuation whose graph reads only what the model before it handed on. */
    private final boolean takesImage;
    /** This graph's inputs handed on by the model it continues, each mapped to the output of that model it is. */
    private final Map<String, String> carriedInputs;

    /** A batch's predictions, and the outputs it hands on to the model that continues this one. */
    public record Scored(List<ClassProbabilities> predictions, CarriedTensors handedOn) {
    }

    private OnnxClassifier(ModelCard card, OrtEnvironment env, OrtSession.SessionOptions options, OrtSession session, int maxBatch,
                           boolean takesImage) {
        this.card = card;
        this.env = env;
        this.options = options;
        this.session = session;
        this.maxBatch = maxBatch;
        this.takesImage = takesImage;
        this.carriedInputs = card.continues() == null ? Map.of() : card.continues().inputs();
        ModelCard.Input in = card.input();
        this.imageSize = 3 * in.height() * in.width();
        this.target = in.target();
        // (p * scale - mean) / std == p * (scale / std) - mean / std: one multiply-add per sample.
        for (int c = 0; c < 3; c++) {
            multiplier[c] = (float) (in.scale() / in.std()[c]);
            offset[c] = (float) (-in.mean()[c] / in.std()[c]);
        }
    }

    public static OnnxClassifier load(Path cardFile, int intraOpThreads) {
        return load(ModelCard.read(cardFile), intraOpThreads, DEFAULT_MAX_BATCH);
    }

    public static OnnxClassifier load(ModelCard card, int intraOpThreads, int maxBatch) {
        Path onnx = card.onnxPath();
        if (!Files.isRegularFile(onnx)) {
            throw new ModelException("model " + card.name() + ": ONNX file " + onnx + " does not exist");
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = null;
        try {
            configure(options, intraOpThreads, !card.pairSumsFitSixteenBits());
            session = env.createSession(onnx.toString(), options);
            Map<String, NodeInfo> inputs = session.getInputInfo();
            boolean takesImage = card.continues() == null || inputs.containsKey(card.input().name());
            if (takesImage) {
                checkShape(card, "input", card.input().name(), card.input().shape(), inputs);
            }
            checkInputs(card, inputs);
            checkShape(card, "output", card.output().name(), card.output().shape(), session.getOutputInfo());
            return new OnnxClassifier(card, env, options, session, maxBatch, takesImage);
        } catch (OrtException | RuntimeException e) {
            closeQuietly(session);
            options.close();
            if (e instanceof ModelException me) {
                throw me;
            }
            throw new ModelException("model " + card.name() + ": ONNX Runtime cannot load " + onnx + ": " + e.getMessage(), e);
        }
    }

    /**
     * The options of every session Sieve opens, so that a model answers alike wherever it is run;
     * {@code exactInt8Kernel} unless the model's card says its 8-bit convolutions cannot saturate.
     */
    static void configure(OrtSession.SessionOptions options, int intraOpThreads, boolean exactInt8Kernel) throws OrtException {
        options.setIntraOpNumThreads(intraOpThreads);
        options.setInterOpNumThreads(1);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        // On x86 CPUs without VNNI, ONNX Runtime's default kernel for 8-bit convolutions sums pairs of
        // products in 16 bits and saturates: airnet_int8 fell from 88.73% to 39.67% on an AVX2-only EPYC.
        // This option has it use its exact unsigned kernel there instead (airnet_int8w7 on the fast kernel ran
        // 1.5x as fast as airnet_int8 on the exact one on that EPYC); VNNI CPUs are unaffected. Weights in
        // 7 bits cannot saturate the default kernel.
        if (exactInt8Kernel) {
            options.addConfigEntry("session.x64quantprecision", "1");
        }
    }

    /** Every input of the graph is the frame or an output the card says it continues from, and those are float tensors. */
    private static void checkInputs(ModelCard card, Map<String, NodeInfo> inputs) {
        Map<String, String> carried = card.continues() == null ? Map.of() : card.continues().inputs();
        for (String name : inputs.keySet()) {
            if (!name.equals(card.input().name()) && !carried.containsKey(name)) {
                throw new ModelException("model " + card.name() + ": the ONNX graph takes an input '" + name + "' that its card names "
                        + (carried.isEmpty() ? "neither as its input ('" + card.input().name() + "') nor as one it continues from (\"continues\")"
                        : "neither as its input ('" + card.input().name() + "') nor among those it takes from model "
                        + card.continues().model() + " " + carried.keySet()));
            }
        }
        for (String name : carried.keySet()) {
            NodeInfo node = inputs.get(name);
            if (node == null) {
                throw new ModelException("model " + card.name() + ": its card says it takes '" + name + "' from model "
                        + card.continues().model() + ", but the ONNX graph has no such input; its inputs are " + inputs.keySet());
            }
            if (!(node.getInfo() instanceof TensorInfo tensor) || tensor.type != ai.onnxruntime.OnnxJavaType.FLOAT) {
                throw new ModelException("model " + card.name() + ": input '" + name + "', carried from model " + card.continues().model()
                        + ", must be a float tensor; it is " + node.getInfo());
            }
        }
    }

    /**
     * Checks that this model computes every output {@code next} continues from, as float tensors of
     * the shapes {@code next} takes.
     *
     * @throws ModelException naming the first output missing or mismatched
     */
    public void requireHandsOnTo(OnnxClassifier next) {
        if (next.card.continues() == null) {
            return;
        }
        try {
            Map<String, NodeInfo> outputs = session.getOutputInfo();
            Map<String, NodeInfo> nextInputs = next.session.getInputInfo();
            for (Map.Entry<String, String> carried : next.carriedInputs.entrySet()) {
                String name = carried.getValue();
                NodeInfo out = outputs.get(name);
                if (out == null) {
                    throw new ModelException("model " + next.name() + " takes output '" + name + "' of model " + name()
                            + ", but that model's ONNX graph has no such output; its outputs are " + outputs.keySet());
                }
                NodeInfo in = nextInputs.get(carried.getKey());
                long[] produced = ((TensorInfo) out.getInfo()).getShape();
                long[] taken = ((TensorInfo) in.getInfo()).getShape();
                boolean matches = produced.length == taken.length && ((TensorInfo) out.getInfo()).type == ai.onnxruntime.OnnxJavaType.FLOAT;
                for (int i = 1; matches && i < produced.length; i++) {
                    matches = produced[i] == taken[i] || produced[i] < 0 || taken[i] < 0;
                }
                if (!matches) {
                    throw new ModelException("model " + name() + "'s output '" + name + "' is " + out.getInfo() + ", but model "
                            + next.name() + " takes it as input '" + carried.getKey() + "', " + in.getInfo());
                }
            }
        } catch (OrtException e) {
            throw new ModelException("cannot read the inputs and outputs of models " + name() + " and " + next.name() + ": " + e.getMessage(), e);
        }
    }

    private static void checkShape(ModelCard card, String role, String name, long[] expected, Map<String, NodeInfo> actual)
            throws OrtException {
        NodeInfo node = actual.get(name);
        if (node == null) {
            throw new ModelException("model " + card.name() + ": the card's " + role + " '" + name
                    + "' is not in the ONNX graph, whose " + role + "s are " + actual.keySet());
        }
        if (!(node.getInfo() instanceof TensorInfo tensor)) {
            throw new ModelException("model " + card.name() + ": " + role + " '" + name + "' is not a tensor");
        }
        long[] shape = tensor.getShape();
        boolean matches = shape.length == expected.length;
        for (int i = 0; matches && i < shape.length; i++) {
            // -1 (dynamic) on either side matches anything; the card declares a dynamic batch as -1.
            matches = shape[i] == expected[i] || shape[i] < 0 || expected[i] < 0;
        }
        if (!matches) {
            throw new ModelException("model " + card.name() + ": " + role + " '" + name + "' has shape "
                    + Arrays.toString(shape) + " in the ONNX graph but " + Arrays.toString(expected) + " in the card");
        }
    }

    public ModelCard card() {
        return card;
    }

    public String name() {
        return card.name();
    }

    /** Floats one preprocessed image occupies in the model's input tensor. */
    public int inputSize() {
        return imageSize;
    }

    /** Why this model cannot take {@code image} at any size (its channel count), or null if it can. */
    public String mismatch(Image image) {
        if (image.channels() != 3) {
            return "image has " + image.channels() + " channels; model " + card.name() + " takes RGB (3)";
        }
        return null;
    }

    /** The size this model takes images at, and how they are brought to it. */
    public ResizeTarget inputTarget() {
        return target;
    }

    /**
     * Writes {@code image}, brought to the model's input size by the card's resize method, into
     * {@code target} at {@code offsetFloats} as normalised floats in the model's layout.
     *
     * @throws IllegalArgumentException if the image is not RGB
     */
    public void preprocess(Image image, float[] target, int offsetFloats) {
        String mismatch = mismatch(image);
        if (mismatch != null) {
            throw new IllegalArgumentException(mismatch);
        }
        image = this.target.apply(image);
        ModelCard.Input in = card.input();
        byte[] px = image.pixels();
        int plane = in.width() * in.height();
        if (in.channelsLast()) {
            if (image.layout() == Image.Layout.HWC) {
                for (int i = 0; i < 3 * plane; i += 3) {
                    target[offsetFloats + i] = (px[i] & 0xff) * multiplier[0] + offset[0];
                    target[offsetFloats + i + 1] = (px[i + 1] & 0xff) * multiplier[1] + offset[1];
                    target[offsetFloats + i + 2] = (px[i + 2] & 0xff) * multiplier[2] + offset[2];
                }
            } else {
                for (int c = 0; c < 3; c++) {
                    for (int i = 0; i < plane; i++) {
                        target[offsetFloats + 3 * i + c] = (px[c * plane + i] & 0xff) * multiplier[c] + offset[c];
                    }
                }
            }
        } else if (image.layout() == Image.Layout.CHW) {
            for (int c = 0; c < 3; c++) {
                float m = multiplier[c];
                float o = offset[c];
                int base = c * plane;
                for (int i = 0; i < plane; i++) {
                    target[offsetFloats + base + i] = (px[base + i] & 0xff) * m + o;
                }
            }
        } else {
            for (int i = 0; i < plane; i++) {
                for (int c = 0; c < 3; c++) {
                    target[offsetFloats + c * plane + i] = (px[3 * i + c] & 0xff) * multiplier[c] + offset[c];
                }
            }
        }
    }

    public List<ClassProbabilities> predict(List<Image> images) {
        return run(images, CarriedTensors.NONE, Set.of()).predictions();
    }

    /**
     * Runs a batch: {@code carried} holds, row by row, what the model this one continues handed on
     * for these images (nothing if it continues none); {@code handOn} names the outputs to hand on
     * to the model that continues this one.
     */
    public Scored run(List<Image> images, CarriedTensors carried, Set<String> handOn) {
        if (!carriedInputs.isEmpty() && carried.rows() != images.size()) {
            throw new IllegalArgumentException("model " + name() + " continues model " + card.continues().model() + " and needs its outputs "
                    + carriedInputs.values() + " for each of the " + images.size() + " images; " + carried.rows() + " rows were handed on");
        }
        List<ClassProbabilities> out = new ArrayList<>(images.size());
        List<CarriedTensors> handedOn = new ArrayList<>();
        for (int start = 0; start < images.size(); start += maxBatch) {
            int n = Math.min(maxBatch, images.size() - start);
            float[] input = null;
            if (takesImage) {
                input = new float[n * imageSize];
                for (int i = 0; i < n; i++) {
                    preprocess(images.get(start + i), input, i * imageSize);
                }
            }
            Scored part = runBatch(input, n, carriedInputs.isEmpty() ? carried : carried.range(start, start + n), handOn);
            out.addAll(part.predictions());
            handedOn.add(part.handedOn());
        }
        return new Scored(out, handOn.isEmpty() || handedOn.isEmpty() ? CarriedTensors.NONE : CarriedTensors.concat(handedOn));
    }

    /** Runs {@code n} preprocessed images (as {@link #preprocess} lays them out) in one call. */
    public List<ClassProbabilities> predict(float[] input, int n) {
        if (input.length < n * imageSize) {
            throw new IllegalArgumentException("input holds " + input.length + " floats, fewer than " + n + " images");
        }
        return runBatch(input, n, CarriedTensors.NONE, Set.of()).predictions();
    }

    private Scored runBatch(float[] input, int n, CarriedTensors carried, Set<String> handOn) {
        ModelCard.Input in = card.input();
        int k = card.numClasses();
        Map<String, OnnxTensor> feeds = new HashMap<>();
        Set<String> wanted = new HashSet<>(handOn);
        wanted.add(card.output().name());
        try {
            if (input != null) {
                long[] shape = in.channelsLast() ? new long[] {n, in.height(), in.width(), 3} : new long[] {n, 3, in.height(), in.width()};
                feeds.put(in.name(), OnnxTensor.createTensor(env, FloatBuffer.wrap(input, 0, n * imageSize), shape));
            }
            for (Map.Entry<String, String> carriedInput : carriedInputs.entrySet()) {
                CarriedTensors.Tensor t = carried.tensor(carriedInput.getValue());
                if (t == null) {
                    throw new IllegalArgumentException("model " + name() + " needs output '" + carriedInput.getValue() + "' of model "
                            + card.continues().model() + "; it handed on " + carried.names());
                }
                long[] shape = new long[t.rowShape().length + 1];
                shape[0] = n;
                System.arraycopy(t.rowShape(), 0, shape, 1, t.rowShape().length);
                feeds.put(carriedInput.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(t.data(), 0, n * t.rowSize()), shape));
            }
            try (OrtSession.Result result = session.run(feeds, wanted)) {
                FloatBuffer scores = ((OnnxTensor) result.get(card.output().name()).orElseThrow()).getFloatBuffer();
                if (scores.remaining() != n * k) {
                    throw new ModelException("model " + card.name() + " returned " + scores.remaining() + " scores for "
                            + n + " images of " + k + " classes");
                }
                List<ClassProbabilities> out = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    float[] row = new float[k];
                    scores.get(row);
                    out.add(ClassProbabilities.of(card.output().isLogits() ? softmax(row) : checkedProbabilities(row)));
                }
                return new Scored(out, handOn.isEmpty() ? CarriedTensors.NONE : handedOn(result, handOn, n));
            }
        } catch (OrtException e) {
            throw new ModelException("model " + card.name() + " failed on a batch of " + n + ": " + e.getMessage(), e);
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    private CarriedTensors handedOn(OrtSession.Result result, Set<String> handOn, int n) throws OrtException {
        Map<String, CarriedTensors.Tensor> tensors = new HashMap<>();
        for (String name : handOn) {
            OnnxTensor tensor = (OnnxTensor) result.get(name)
                    .orElseThrow(() -> new ModelException("model " + card.name() + " has no output '" + name + "' to hand on"));
            long[] shape = tensor.getInfo().getShape();
            FloatBuffer values = tensor.getFloatBuffer();
            float[] data = new float[values.remaining()];
            values.get(data);
            long[] rowShape = Arrays.copyOfRange(shape, 1, shape.length);
            if (shape[0] != n || data.length % n != 0) {
                throw new ModelException("model " + card.name() + "'s output '" + name + "' has shape " + Arrays.toString(shape)
                        + " for a batch of " + n + ": an output handed on needs one row per image");
            }
            tensors.put(name, new CarriedTensors.Tensor(data, rowShape, data.length / n));
        }
        return CarriedTensors.of(tensors, n);
    }

    private float[] softmax(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            if (!Float.isFinite(v)) {
                throw new ModelException("model " + card.name() + " produced a non-finite logit: " + Arrays.toString(logits));
            }
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.exp(logits[i] - max);
            sum += logits[i];
        }
        for (int i = 0; i < logits.length; i++) {
            logits[i] /= (float) sum;
        }
        return logits;
    }

    private float[] checkedProbabilities(float[] p) {
        double sum = 0;
        for (float v : p) {
            if (!(v >= 0f && v <= 1f + PROBABILITY_TOLERANCE)) {
                throw notProbabilities(p);
            }
            sum += v;
        }
        if (Math.abs(sum - 1.0) > PROBABILITY_TOLERANCE * p.length) {
            throw notProbabilities(p);
        }
        return p;
    }

    private ModelException notProbabilities(float[] p) {
        return new ModelException("model " + card.name() + ": its card says the output holds probabilities, but "
                + Arrays.toString(p) + " is not a probability vector (set output.kind to 'logits' if it needs a softmax)");
    }

    @Override
    public void close() {
        closeQuietly(session);
        options.close();
    }

    private static void closeQuietly(OrtSession session) {
        if (session != null) {
            try {
                session.close();
            } catch (OrtException e) {
                // Nothing useful remains to do with a session that fails to close.
            }
        }
    }
}
