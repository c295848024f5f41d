package io.sieve.cascade.model;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code model add} needs from an ONNX file that ONNX Runtime does not tell: the opsets, the
 * graph's real inputs (initializers excluded), its nodes, and the multiply-accumulates of one image,
 * counted by propagating shapes through the operators that carry almost all the work of image
 * classifiers (Conv, Gemm, MatMul) and those that only move shapes. A graph with an operator outside
 * that set gets no MAC count ({@link #macs} says which operator), never a guess.
 *
 * <p>Read straight from the protobuf wire format (onnx.proto field numbers), so Sieve needs no
 * generated ONNX classes.
 */
public final class OnnxGraph {
    /** An input or output as the graph declares it: element type (ONNX TensorProto.DataType) and shape, -1 where symbolic. */
    public record ValueInfo(String name, int elementType, long[] shape) {
        public static final int FLOAT = 1;
    }

    record Node(String opType, List<String> inputs, List<String> outputs, Map<String, Attribute> attributes) {
        long[] ints(String name, long[] fallback) {
            Attribute a = attributes.get(name);
            return a == null || a.ints == null ? fallback : a.ints;
        }

        long integer(String name, long fallback) {
            Attribute a = attributes.get(name);
            return a == null || a.i == null ? fallback : a.i;
        }

        String string(String name, String fallback) {
            Attribute a = attributes.get(name);
            return a == null || a.s == null ? fallback : a.s;
        }
    }

    record Attribute(Long i, long[] ints, String s, Tensor t) {
    }

    /** An initializer or constant: its dims and, for integer tensors, its values (needed by Reshape and friends). */
    record Tensor(String name, int type, long[] dims, long[] values) {
    }

    /** The MAC count of one image, or why there is none. */
    public record Macs(Long count, String unknownBecause) {
    }

    private final Map<String, Long> opsets;
    private final List<ValueInfo> inputs;
    private final List<ValueInfo> outputs;
    private final List<Node> nodes;
    private final Map<String, Tensor> initializers;

    private OnnxGraph(Map<String, Long> opsets, List<ValueInfo> inputs, List<ValueInfo> outputs, List<Node> nodes,
                      Map<String, Tensor> initializers) {
        this.opsets = opsets;
        this.inputs = inputs;
        this.outputs = outputs;
        this.nodes = nodes;
        this.initializers = initializers;
    }

    public static OnnxGraph read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            CodedInputStream model = CodedInputStream.newInstance(in);
            model.setSizeLimit(Integer.MAX_VALUE);
            Map<String, Long> opsets = new LinkedHashMap<>();
            List<ValueInfo> declaredInputs = new ArrayList<>();
            List<ValueInfo> outputs = new ArrayList<>();
            List<Node> nodes = new ArrayList<>();
            Map<String, Tensor> initializers = new HashMap<>();
            boolean sawGraph = false;
            for (int tag = model.readTag(); tag != 0; tag = model.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 7 -> {
                        sawGraph = true;
                        readGraph(model.readBytes().newCodedInput(), declaredInputs, outputs, nodes, initializers);
                    }
                    case 8 -> readOpset(model.readBytes().newCodedInput(), opsets);
                    default -> model.skipField(tag);
                }
            }
            if (!sawGraph) {
                throw new ModelException(file + " holds no ONNX graph: not an ONNX model file");
            }
            List<ValueInfo> inputs = declaredInputs.stream().filter(v -> !initializers.containsKey(v.name())).toList();
            return new OnnxGraph(opsets, inputs, outputs, nodes, initializers);
        } catch (IOException | RuntimeException e) {
            if (e instanceof ModelException me) {
                throw me;
            }
            throw new ModelException("cannot read " + file + " as an ONNX model: " + e.getMessage(), e);
        }
    }

    /** Opset version per domain ("" is the default ONNX domain). */
    public Map<String, Long> opsets() {
        return opsets;
    }

    public List<ValueInfo> inputs() {
        return inputs;
    }

    public List<ValueInfo> outputs() {
        return outputs;
    }

    /** Whether {@code output} is produced by a Softmax node: the graph already returns probabilities. */
    public boolean endsInSoftmax(String output) {
        return nodes.stream().anyMatch(n -> n.outputs().contains(output) && n.opType().equals("Softmax"));
    }

    /**
     * Weights and biases: the elements of every floating-point initializer (float, float16, double,
     * bfloat16) and of every quantized one a DequantizeLinear reads; the scales and zero points of
     * quantization are not parameters.
     */
    public long parameters() {
        Set<String> quantizationParameters = new HashSet<>();
        Set<String> quantizedWeights = new HashSet<>();
        for (Node node : nodes) {
            if (QUANTIZATION.contains(node.opType())) {
                quantizationParameters.addAll(node.inputs().subList(1, node.inputs().size()));
                if (node.opType().equals("DequantizeLinear")) {
                    quantizedWeights.add(node.inputs().get(0));
                }
            }
        }
        return initializers.values().stream()
                .filter(t -> quantizedWeights.contains(t.name())
                        || (!quantizationParameters.contains(t.name()) && (t.type() == 1 || t.type() == 10 || t.type() == 11 || t.type() == 16)))
                .mapToLong(t -> Arrays.stream(t.dims()).reduce(1, (a, b) -> a * b)).sum();
    }

    /** ONNX's quantization operators: a tensor's integer form and back, same shape (static quantization, QDQ form). */
    private static final Set<String> QUANTIZATION = Set.of("QuantizeLinear", "DequantizeLinear");

    private static final Set<String> SAME_SHAPE = Set.of("Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Clip", "BatchNormalization",
            "Dropout", "Identity", "Softmax", "LogSoftmax", "HardSwish", "HardSigmoid", "Elu", "Selu", "Neg", "Abs", "Sqrt", "Exp",
            "Cast", "Erf", "Softplus", "Gelu", "LRN", "InstanceNormalization", "LayerNormalization", "Mish", "Floor", "Ceil", "Round");
    private static final Set<String> BROADCAST = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Where");

    /** Multiply-accumulates of one image through the graph whose image input has {@code inputShape} (batch 1). */
    public Macs macs(String input, long[] inputShape) {
        Map<String, long[]> shapes = new HashMap<>();
        Map<String, long[]> constants = new HashMap<>();
        initializers.values().forEach(t -> {
            shapes.put(t.name(), t.dims());
            if (t.values() != null) {
                constants.put(t.name(), t.values());
            }
        });
        // Other inputs (outputs of a model this one continues) take their declared shapes, one frame's worth.
        for (ValueInfo other : inputs) {
            if (!other.name().equals(input) && other.shape() != null && other.shape().length > 0
                    && Arrays.stream(other.shape(), 1, other.shape().length).allMatch(d -> d > 0)) {
                long[] declared = other.shape().clone();
                declared[0] = 1;
                shapes.put(other.name(), declared);
            }
        }
        long[] first = inputShape.clone();
        first[0] = 1;
        shapes.put(input, first);
        long macs = 0;
        for (Node node : nodes) {
            long[] x = node.inputs().isEmpty() ? null : shapes.get(node.inputs().get(0));
            long[] out;
            String op = node.opType();
            if (op.equals("Constant")) {
                Attribute value = node.attributes().get("value");
                if (value == null || value.t() == null) {
                    return new Macs(null, "a Constant node without a tensor value");
                }
                out = value.t().dims();
                if (value.t().values() != null) {
                    constants.put(node.outputs().get(0), value.t().values());
                }
            } else if (x == null) {
                return new Macs(null, "the shape reaching " + op + " node input '" + (node.inputs().isEmpty() ? "" : node.inputs().get(0))
                        + "' is not known statically");
            } else if (SAME_SHAPE.contains(op) || QUANTIZATION.contains(op)) {
                out = x;
            } else if (BROADCAST.contains(op)) {
                out = x;
                for (String other : node.inputs()) {
                    long[] s = shapes.get(other);
                    if (s == null) {
                        return new Macs(null, "the shape of " + op + " input '" + other + "' is not known statically");
                    }
                    out = broadcast(out, s);
                }
            } else {
                switch (op) {
                    case "Conv" -> {
                        long[] w = shapes.get(node.inputs().get(1));
                        out = convolved(node, x, w[0], Arrays.copyOfRange(w, 2, w.length));
                        long perOutput = Arrays.stream(w).skip(1).reduce(1, (a, b) -> a * b);
                        macs += Arrays.stream(out).reduce(1, (a, b) -> a * b) * perOutput;
                    }
                    case "MaxPool", "AveragePool", "LpPool" -> out = convolved(node, x, x[1], node.ints("kernel_shape", null));
                    case "GlobalAveragePool", "GlobalMaxPool" -> {
                        out = x.clone();
                        Arrays.fill(out, 2, out.length, 1);
                    }
                    case "Flatten" -> {
                        int axis = (int) normalise(node.integer("axis", 1), x.length);
                        out = new long[] {product(x, 0, axis), product(x, axis, x.length)};
                    }
                    case "Reshape" -> {
                        long[] target = constants.get(node.inputs().get(1));
                        if (target == null) {
                            return new Macs(null, "a Reshape whose target shape is computed at run time");
                        }
                        out = reshaped(x, target);
                    }
                    case "Transpose" -> {
                        long[] perm = node.ints("perm", null);
                        out = new long[x.length];
                        for (int i = 0; i < x.length; i++) {
                            out[i] = x[perm == null ? x.length - 1 - i : (int) perm[i]];
                        }
                    }
                    case "Squeeze", "Unsqueeze" -> {
                        long[] axes = node.inputs().size() > 1 ? constants.get(node.inputs().get(1)) : node.ints("axes", null);
                        if (axes == null && op.equals("Unsqueeze")) {
                            return new Macs(null, "an Unsqueeze whose axes are computed at run time");
                        }
                        out = op.equals("Squeeze") ? squeezed(x, axes) : unsqueezed(x, axes);
                    }
                    case "Concat" -> {
                        int axis = (int) normalise(node.integer("axis", 0), x.length);
                        out = x.clone();
                        out[axis] = 0;
                        for (String in : node.inputs()) {
                            long[] s = shapes.get(in);
                            if (s == null) {
                                return new Macs(null, "the shape of Concat input '" + in + "' is not known statically");
                            }
                            out[axis] += s[axis];
                        }
                    }
                    case "Slice" -> {
                        // Opset 10 on: bounds are inputs; before, attributes.
                        List<String> in = node.inputs();
                        long[] starts = in.size() > 1 ? constants.get(in.get(1)) : node.ints("starts", null);
                        long[] ends = in.size() > 2 ? constants.get(in.get(2)) : node.ints("ends", null);
                        long[] axes = in.size() > 3 ? constants.get(in.get(3)) : node.ints("axes", null);
                        long[] steps = in.size() > 4 ? constants.get(in.get(4)) : null;
                        if (starts == null || ends == null || (in.size() > 3 && axes == null) || (in.size() > 4 && steps == null)) {
                            return new Macs(null, "a Slice whose bounds are computed at run time");
                        }
                        out = sliced(x, starts, ends, axes, steps);
                    }
                    case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin" -> {
                        long[] axes = node.inputs().size() > 1 ? constants.get(node.inputs().get(1)) : node.ints("axes", null);
                        if (node.inputs().size() > 1 && axes == null) {
                            return new Macs(null, "a " + op + " whose axes are computed at run time");
                        }
                        out = reduced(x, axes, node.integer("keepdims", 1) == 1);
                    }
                    case "Gemm" -> {
                        long[] b = shapes.get(node.inputs().get(1));
                        long m = node.integer("transA", 0) == 1 ? x[1] : x[0];
                        long k = node.integer("transA", 0) == 1 ? x[0] : x[1];
                        long n = node.integer("transB", 0) == 1 ? b[0] : b[1];
                        macs += m * k * n;
                        out = new long[] {m, n};
                    }
                    case "MatMul" -> {
                        long[] b = shapes.get(node.inputs().get(1));
                        if (b == null || x.length < 2 || b.length < 2) {
                            return new Macs(null, "a MatMul of shapes not known statically");
                        }
                        long m = x[x.length - 2];
                        long k = x[x.length - 1];
                        long n = b[b.length - 1];
                        out = x.clone();
                        out[out.length - 1] = n;
                        macs += product(out, 0, out.length - 2) * m * k * n;
                    }
                    default -> {
                        return new Macs(null, "operator " + op + " is not one Sieve counts MACs through");
                    }
                }
            }
            if (Arrays.stream(out).anyMatch(d -> d < 0)) {
                return new Macs(null, "the shape after " + op + " is not known statically");
            }
            for (String o : node.outputs()) {
                shapes.put(o, out);
            }
        }
        return new Macs(macs, null);
    }

    /** Output shape of a convolution or pooling window over the spatial dims of {@code x}. */
    private static long[] convolved(Node node, long[] x, long channels, long[] kernel) {
        int spatial = x.length - 2;
        long[] strides = node.ints("strides", filled(spatial, 1));
        long[] dilations = node.ints("dilations", filled(spatial, 1));
        long[] pads = node.ints("pads", filled(2 * spatial, 0));
        String autoPad = node.string("auto_pad", "NOTSET");
        boolean ceil = node.integer("ceil_mode", 0) == 1;
        long[] out = new long[x.length];
        out[0] = x[0];
        out[1] = channels;
        for (int d = 0; d < spatial; d++) {
            long in = x[2 + d];
            if (autoPad.startsWith("SAME")) {
                out[2 + d] = (in + strides[d] - 1) / strides[d];
            } else {
                long pad = autoPad.equals("VALID") ? 0 : pads[d] + pads[d + spatial];
                long span = in + pad - dilations[d] * (kernel[d] - 1) - 1;
                out[2 + d] = (ceil ? Math.floorDiv(span + strides[d] - 1, strides[d]) : Math.floorDiv(span, strides[d])) + 1;
            }
        }
        return out;
    }

    private static long[] filled(int n, long value) {
        long[] a = new long[n];
        Arrays.fill(a, value);
        return a;
    }

    private static long normalise(long axis, int rank) {
        return axis < 0 ? axis + rank : axis;
    }

    private static long product(long[] dims, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            p *= dims[i];
        }
        return p;
    }

    private static long[] broadcast(long[] a, long[] b) {
        int rank = Math.max(a.length, b.length);
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            long da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            long db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            out[i] = Math.max(da, db);
        }
        return out;
    }

    private static long[] reshaped(long[] x, long[] target) {
        long[] out = target.clone();
        long known = 1;
        int inferred = -1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == 0) {
                out[i] = x[i];
            }
            if (out[i] == -1) {
                inferred = i;
            } else {
                known *= out[i];
            }
        }
        if (inferred >= 0) {
            out[inferred] = product(x, 0, x.length) / known;
        }
        return out;
    }

    /** ONNX Slice's output shape: negative bounds count from the end, and both are clamped to the axis. */
    private static long[] sliced(long[] x, long[] starts, long[] ends, long[] axes, long[] steps) {
        long[] out = x.clone();
        for (int i = 0; i < starts.length; i++) {
            int axis = (int) normalise(axes == null ? i : axes[i], x.length);
            long step = steps == null ? 1 : steps[i];
            long dim = x[axis];
            long start = starts[i] < 0 ? starts[i] + dim : starts[i];
            long end = ends[i] < 0 ? ends[i] + dim : ends[i];
            out[axis] = step > 0
                    ? Math.max(0, ceilDiv(clamp(end, 0, dim) - clamp(start, 0, dim), step))
                    : Math.max(0, ceilDiv(clamp(start, 0, dim - 1) - clamp(end, -1, dim - 1), -step));
        }
        return out;
    }

    private static long clamp(long value, long low, long high) {
        return Math.max(low, Math.min(high, value));
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    /** A reduction's output shape: {@code axes} (all when null) kept as 1 or dropped. */
    private static long[] reduced(long[] x, long[] axes, boolean keepDims) {
        boolean[] reduce = new boolean[x.length];
        Arrays.fill(reduce, axes == null);
        if (axes != null) {
            for (long a : axes) {
                reduce[(int) normalise(a, x.length)] = true;
            }
        }
        return java.util.stream.IntStream.range(0, x.length).filter(i -> keepDims || !reduce[i])
                .mapToLong(i -> reduce[i] ? 1 : x[i]).toArray();
    }

    private static long[] squeezed(long[] x, long[] axes) {
        List<Long> kept = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            int axis = i;
            boolean drop = axes == null ? x[i] == 1 : Arrays.stream(axes).anyMatch(a -> normalise(a, x.length) == axis);
            if (!drop) {
                kept.add(x[i]);
            }
        }
        return kept.stream().mapToLong(Long::longValue).toArray();
    }

    private static long[] unsqueezed(long[] x, long[] axes) {
        int rank = x.length + axes.length;
        long[] out = new long[rank];
        boolean[] inserted = new boolean[rank];
        for (long a : axes) {
            inserted[(int) normalise(a, rank)] = true;
        }
        for (int i = 0, j = 0; i < rank; i++) {
            out[i] = inserted[i] ? 1 : x[j++];
        }
        return out;
    }

    // --- protobuf wire format (onnx.proto field numbers) ---

    private static void readOpset(CodedInputStream in, Map<String, Long> opsets) throws IOException {
        String domain = "";
        long version = 0;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> domain = in.readString();
                case 2 -> version = in.readInt64();
                default -> in.skipField(tag);
            }
        }
        opsets.put(domain, version);
    }

    private static void readGraph(CodedInputStream in, List<ValueInfo> inputs, List<ValueInfo> outputs, List<Node> nodes,
                                  Map<String, Tensor> initializers) throws IOException {
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> nodes.add(readNode(in.readBytes().newCodedInput()));
                case 5 -> {
                    Tensor t = readTensor(in.readBytes().newCodedInput());
                    initializers.put(t.name(), t);
                }
                case 11 -> inputs.add(readValueInfo(in.readBytes().newCodedInput()));
                case 12 -> outputs.add(readValueInfo(in.readBytes().newCodedInput()));
                default -> in.skipField(tag);
            }
        }
    }

    private static Node readNode(CodedInputStream in) throws IOException {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String op = "";
        Map<String, Attribute> attributes = new HashMap<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> inputs.add(in.readString());
                case 2 -> outputs.add(in.readString());
                case 4 -> op = in.readString();
                case 5 -> {
                    CodedInputStream a = in.readBytes().newCodedInput();
                    String[] name = {""};
                    Attribute attribute = readAttribute(a, name);
                    attributes.put(name[0], attribute);
                }
                default -> in.skipField(tag);
            }
        }
        return new Node(op, inputs, outputs, attributes);
    }

    private static Attribute readAttribute(CodedInputStream in, String[] name) throws IOException {
        Long i = null;
        List<Long> ints = new ArrayList<>();
        String s = null;
        Tensor t = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> name[0] = in.readString();
                case 3 -> i = in.readInt64();
                case 4 -> s = in.readBytes().toStringUtf8();
                case 5 -> t = readTensor(in.readBytes().newCodedInput());
                case 8 -> readInt64s(in, tag, ints);
                default -> in.skipField(tag);
            }
        }
        return new Attribute(i, ints.isEmpty() ? null : ints.stream().mapToLong(Long::longValue).toArray(), s, t);
    }

    private static final int INT32 = 6;
    private static final int INT64 = 7;

    private static Tensor readTensor(CodedInputStream in) throws IOException {
        List<Long> dims = new ArrayList<>();
        List<Long> int64s = new ArrayList<>();
        int type = 0;
        String name = "";
        byte[] raw = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> readInt64s(in, tag, dims);
                case 2 -> type = in.readInt32();
                case 5, 7 -> readInt64s(in, tag, int64s);
                case 8 -> name = in.readString();
                case 9 -> raw = in.readBytes().toByteArray();
                default -> in.skipField(tag);
            }
        }
        long[] values = null;
        if (type == INT64 || type == INT32) {
            if (raw != null) {
                ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
                values = new long[raw.length / (type == INT64 ? 8 : 4)];
                for (int k = 0; k < values.length; k++) {
                    values[k] = type == INT64 ? b.getLong() : b.getInt();
                }
            } else {
                values = int64s.stream().mapToLong(Long::longValue).toArray();
            }
        }
        return new Tensor(name, type, dims.stream().mapToLong(Long::longValue).toArray(), values);
    }

    /** A repeated int64 field, packed or not. */
    private static void readInt64s(CodedInputStream in, int tag, List<Long> into) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                into.add(in.readInt64());
            }
            in.popLimit(limit);
        } else {
            into.add(in.readInt64());
        }
    }

    private static ValueInfo readValueInfo(CodedInputStream in) throws IOException {
        String name = "";
        int[] type = {0};
        List<Long> shape = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> name = in.readString();
                case 2 -> readType(in.readBytes().newCodedInput(), type, shape);
                default -> in.skipField(tag);
            }
        }
        return new ValueInfo(name, type[0], shape.stream().mapToLong(Long::longValue).toArray());
    }

    /** TypeProto.tensor_type (1): elem_type (1), shape (2) of dims (1) each dim_value (1) or dim_param (2). */
    private static void readType(CodedInputStream in, int[] type, List<Long> shape) throws IOException {
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) != 1) {
                in.skipField(tag);
                continue;
            }
            CodedInputStream tensor = in.readBytes().newCodedInput();
            for (int t = tensor.readTag(); t != 0; t = tensor.readTag()) {
                switch (WireFormat.getTagFieldNumber(t)) {
                    case 1 -> type[0] = tensor.readInt32();
                    case 2 -> {
                        CodedInputStream dims = tensor.readBytes().newCodedInput();
                        for (int d = dims.readTag(); d != 0; d = dims.readTag()) {
                            if (WireFormat.getTagFieldNumber(d) != 1) {
                                dims.skipField(d);
                                continue;
                            }
                            CodedInputStream dim = dims.readBytes().newCodedInput();
                            long value = -1;
                            for (int v = dim.readTag(); v != 0; v = dim.readTag()) {
                                if (WireFormat.getTagFieldNumber(v) == 1) {
                                    value = dim.readInt64();
                                } else {
                                    dim.skipField(v);
                                }
                            }
                            shape.add(value);
                        }
                    }
                    default -> tensor.skipField(t);
                }
            }
        }
    }
}
