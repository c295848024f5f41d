package io.sieve.cascade.calibration;

import io.sieve.images.LabelledImages;
import io.sieve.cascade.model.ModelCard;
import io.sieve.cascade.model.OnnxClassifier;
import io.sieve.cascade.model.ClassProbabilities;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * One model's predictions for every image of a labelled set, with the measured model time per
 * image of each batch (preprocessing included, as in the stream app).
 */
public record ModelScores(ModelCard card, List<ClassProbabilities> predictions, double[] microsPerImageByBatch, int batchSize) {

    /** Runs {@code model} over {@code data} in batches of {@code batch}; {@code progress} hears of every image done. */
    public static ModelScores measure(OnnxClassifier model, LabelledImages data, int batch, IntConsumer progress) {
        List<ClassProbabilities> predictions = new ArrayList<>(data.size());
        double[] micros = new double[(data.size() + batch - 1) / batch];
        // One untimed batch first: ONNX Runtime allocates and tunes on its first calls.
        model.predict(data.images().subList(0, Math.min(batch, data.size())));
        for (int b = 0, start = 0; start < data.size(); b++, start += batch) {
            List<io.sieve.images.Image> images = data.images().subList(start, Math.min(data.size(), start + batch));
            long t0 = System.nanoTime();
            predictions.addAll(model.predict(images));
            micros[b] = (System.nanoTime() - t0) / 1e3 / images.size();
            progress.accept(images.size());
        }
        return new ModelScores(model.card(), predictions, micros, batch);
    }

    public String name() {
        return card.name();
    }

    /** Mean model time per image, in milliseconds. */
    public double msPerImage() {
        return Arrays.stream(microsPerImageByBatch).average().orElse(0) / 1000;
    }

    public double accuracy(int[] truth) {
        int correct = 0;
        for (int i = 0; i < truth.length; i++) {
            correct += predictions.get(i).label() == truth[i] ? 1 : 0;
        }
        return (double) correct / truth.length;
    }
}
