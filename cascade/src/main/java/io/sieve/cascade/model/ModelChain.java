package io.sieve.cascade.model;

import io.sieve.images.Image;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A model together with the models it continues (see {@link ModelCard.Continuation}), run one
 * after the other as a cascade runs them, each handing on to the next: how a continuation is run
 * outside a cascade (to check its accuracy, to time it). Closing it closes every model.
 */
public final class ModelChain implements AutoCloseable {
    private final List<OnnxClassifier> models;
    private final List<ModelCard> cards;

    private ModelChain(List<OnnxClassifier> models) {
        this.models = models;
        this.cards = models.stream().map(OnnxClassifier::card).toList();
    }

    /** Loads {@code last} and, before it, the chain of models it continues, found as cards beside its own. */
    public static ModelChain load(ModelCard last, int intraOpThreads) {
        List<ModelCard> cards = ModelCard.chainEndingAt(last);
        List<OnnxClassifier> models = new ArrayList<>();
        try {
            for (ModelCard card : cards) {
                models.add(OnnxClassifier.load(card, intraOpThreads, OnnxClassifier.DEFAULT_MAX_BATCH));
                if (models.size() > 1) {
                    models.get(models.size() - 2).requireHandsOnTo(models.get(models.size() - 1));
                }
            }
        } catch (RuntimeException e) {
            models.forEach(OnnxClassifier::close);
            throw e;
        }
        return new ModelChain(models);
    }

    /** The model the chain ends in. */
    public OnnxClassifier last() {
        return models.get(models.size() - 1);
    }

    /** What the models before the last hand on to it for these images (nothing if it continues none). */
    public CarriedTensors handedOnToLast(List<Image> images) {
        CarriedTensors carried = CarriedTensors.NONE;
        for (int s = 0; s < models.size() - 1; s++) {
            carried = models.get(s).run(images, carried, ModelCard.handedOn(cards, s)).handedOn();
        }
        return carried;
    }

    /** The last model's predictions, each model of the chain run once on the images. */
    public List<ClassProbabilities> predict(List<Image> images) {
        return last().run(images, handedOnToLast(images), Set.of()).predictions();
    }

    @Override
    public void close() {
        models.forEach(OnnxClassifier::close);
    }
}
