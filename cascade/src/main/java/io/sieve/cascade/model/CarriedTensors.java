package io.sieve.cascade.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Outputs one model hands on to the model that continues it (see {@link ModelCard.Continuation}),
 * row by row: row {@code r} of every tensor belongs to the r-th frame of the batch that made them.
 * The frames that go on are a subset of that batch, so the continuation gets the rows it needs with
 * {@link #select}.
 */
public final class CarriedTensors {
    /** One float tensor, its first axis the batch: {@code rowShape} is the shape of one row. */
    record Tensor(float[] data, long[] rowShape, int rowSize) {
    }

    private final Map<String, Tensor> tensors;
    private final int rows;

    private CarriedTensors(Map<String, Tensor> tensors, int rows) {
        this.tensors = tensors;
        this.rows = rows;
    }

    /** Nothing carried: what a model that continues no other is given. */
    public static final CarriedTensors NONE = new CarriedTensors(Map.of(), 0);

    static CarriedTensors of(Map<String, Tensor> tensors, int rows) {
        return new CarriedTensors(Map.copyOf(tensors), rows);
    }

    public boolean isEmpty() {
        return tensors.isEmpty();
    }

    public int rows() {
        return rows;
    }

    public java.util.Set<String> names() {
        return tensors.keySet();
    }

    Tensor tensor(String name) {
        return tensors.get(name);
    }

    /** The rows {@code rows}, in that order. */
    public CarriedTensors select(int[] rows) {
        Map<String, Tensor> picked = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            float[] data = new float[rows.length * t.rowSize()];
            for (int i = 0; i < rows.length; i++) {
                if (rows[i] < 0 || rows[i] >= this.rows) {
                    throw new IllegalArgumentException("row " + rows[i] + " of " + this.rows + " carried rows");
                }
                System.arraycopy(t.data(), rows[i] * t.rowSize(), data, i * t.rowSize(), t.rowSize());
            }
            picked.put(e.getKey(), new Tensor(data, t.rowShape(), t.rowSize()));
        }
        return new CarriedTensors(picked, rows.length);
    }

    /** Rows {@code from} (inclusive) to {@code to} (exclusive). */
    public CarriedTensors range(int from, int to) {
        if (from == 0 && to == rows) {
            return this;
        }
        int[] picked = new int[to - from];
        Arrays.setAll(picked, i -> from + i);
        return select(picked);
    }

    /** The rows of {@code parts}, one after the other; every part must carry the same tensors. */
    public static CarriedTensors concat(List<CarriedTensors> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        int total = parts.stream().mapToInt(CarriedTensors::rows).sum();
        Map<String, Tensor> joined = new LinkedHashMap<>();
        for (String name : parts.get(0).names()) {
            Tensor first = parts.get(0).tensor(name);
            float[] data = new float[total * first.rowSize()];
            int offset = 0;
            for (CarriedTensors part : parts) {
                Tensor t = part.tensor(name);
                System.arraycopy(t.data(), 0, data, offset, part.rows * t.rowSize());
                offset += part.rows * t.rowSize();
            }
            joined.put(name, new Tensor(data, first.rowShape(), first.rowSize()));
        }
        return new CarriedTensors(joined, total);
    }
}
