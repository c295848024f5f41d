package io.sieve.cli;

import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.cascade.model.ModelCard;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The model cards of a cascade's stages, cheapest first: the classes they share and the frame size they need. */
record ModelCards(List<ModelCard> cards) {
    ModelCards {
        ModelCard.requireSameClasses(cards);
    }

    static ModelCards of(List<Path> cardFiles) {
        return new ModelCards(cardFiles.stream().map(ModelCard::read).toList());
    }

    static ModelCards ofCascade(Path cascadeFile) {
        CascadeDefinition definition = CascadeDefinition.read(cascadeFile);
        List<Path> files = new ArrayList<>();
        for (int s = 0; s < definition.stages().size(); s++) {
            files.add(definition.cardPath(cascadeFile, s));
        }
        return of(files);
    }

    List<String> classes() {
        return cards.get(0).classes();
    }

    /**
     * The largest input among the stages (by pixel count): frames published at it lose nothing any
     * stage could use, and every stage brings them down to its own input.
     */
    FrameSize frameSize() {
        ModelCard.Input largest = cards.stream().map(ModelCard::input)
                .max(Comparator.comparingLong(in -> (long) in.width() * in.height())).orElseThrow();
        return new FrameSize(largest.width(), largest.height());
    }

    /**
     * {@code name} if it is one of these classes (null stays null: every class).
     *
     * @param whose what to call the cascade in the message
     */
    String requireClass(String name, String whose) {
        List<String> classes = classes();
        if (name != null && !classes.contains(name)) {
            throw new IllegalArgumentException("unknown class '" + name + "': " + whose + " knows "
                    + (classes.size() <= 30 ? String.join(", ", classes) : String.join(", ", classes.subList(0, 30)) + " and "
                    + (classes.size() - 30) + " more"));
        }
        return name;
    }

    /** What to call these cards in messages. */
    String describe() {
        return "model(s) " + String.join(", ", cards.stream().map(ModelCard::name).toList());
    }
}
