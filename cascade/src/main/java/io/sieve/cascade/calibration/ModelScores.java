package io.sieve.cascade.calibration;

import io.sieve.cascade.model.CarriedTensors;
import io.sieve.images.Image;
import io.sieve.images.LabelledImages;
import io.sieve.cascade.model.ModelCard;
import io.sieve.cascade.model.OnnxClassifier;
import io.sieve.cascade.model.ClassProbabilities;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * One model's predictions for every image of a labelled set, with the measured model time per
 * image of each batch (preprocessing included, as in the stream app).
 */
public record ModelScores(ModelCard card, List<ClassProbabilities> predictions, double[] microsPerImageByBatch, int batchSize) {

    /** Runs {@code model} over {@code data} in batches of {@code batch}; {@code progress} hears of every image done. */
    public static ModelScores measure(OnnxClassifier model, LabelledImages data, int batch, IntConsumer progress) {
        return new Chain(data, batch).measure(model, Set.of(), progress);
    }

    /**
     * Scores the models of a cascade one after the other over the same images, as the cascade runs
     * them: a model that continues the one before it gets, for every image, the outputs that one
     * handed on. Only the latest hand-on is kept.
     */
    public static final class Chain {
        private final LabelledImages data;
        private final int batch;
        private CarriedTensors carried = CarriedTensors.NONE;
        private String carriedFrom;

        public Chain(LabelledImages data, int batch) {
            this.data = data;
            this.batch = batch;
        }

        /**
         * Scores {@code model}, keeping the outputs {@code handOn} (all images) for the model after it.
         *
         * @throws IllegalArgumentException if {@code model} continues a model that was not scored just before it
         */
        public ModelScores measure(OnnxClassifier model, Set<String> handOn, IntConsumer progress) {
            ModelCard.Continuation continuation = model.card().continues();
            if (continuation != null && !continuation.model().equals(carriedFrom)) {
                throw new IllegalArgumentException("model " + model.name() + " continues model " + continuation.model()
                        + ", so it is scored right after it, which hands on its outputs " + continuation.inputs().values());
            }
            CarriedTensors given = continuation == null ? CarriedTensors.NONE : carried;
            List<ClassProbabilities> predictions = new ArrayList<>(data.size());
            List<CarriedTensors> handedOn = new ArrayList<>();
            double[] micros = new double[(data.size() + batch - 1) / batch];
            // One untimed batch first: ONNX Runtime allocates and tunes on its first calls.
            int first = Math.min(batch, data.size());
            model.run(data.images().subList(0, first), continuation == null ? given : given.range(0, first), Set.of());
            for (int b = 0, start = 0; start < data.size(); b++, start += batch) {
                int end = Math.min(data.size(), start + batch);
                List<Image> images = data.images().subList(start, end);
                CarriedTensors rows = continuation == null ? given : given.range(start, end);
                long t0 = System.nanoTime();
                OnnxClassifier.Scored scored = model.run(images, rows, handOn);
                micros[b] = (System.nanoTime() - t0) / 1e3 / images.size();
                predictions.addAll(scored.predictions());
                handedOn.add(scored.handedOn());
                progress.accept(images.size());
            }
            carried = handOn.isEmpty() ? CarriedTensors.NONE : CarriedTensors.concat(handedOn);
            carriedFrom = handOn.isEmpty() ? null : model.name();
            return new ModelScores(model.card(), predictions, micros, batch);
        }
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
