package io.sieve.images;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Images with their true class indices into {@code classes}, in a fixed order; {@code sha256} is
 * the content hash of the files they were read from, so a cascade file can say what it was
 * calibrated on.
 */
public record LabelledImages(String name, List<String> classes, List<Image> images, int[] labels, String sha256) {
    public LabelledImages {
        if (images.size() != labels.length) {
            throw new IllegalArgumentException(images.size() + " images but " + labels.length + " labels");
        }
        for (int label : labels) {
            if (label < 0 || label >= classes.size()) {
                throw new IllegalArgumentException("label " + label + " is not one of the " + classes.size() + " classes");
            }
        }
    }

    public int size() {
        return labels.length;
    }

    public LabelledImages first(int n) {
        int k = Math.min(n, size());
        return new LabelledImages(name + " (first " + k + ")", classes, images.subList(0, k), Arrays.copyOf(labels, k), sha256);
    }

    /** These images followed by {@code other}'s, which must name the same classes. */
    public LabelledImages plus(LabelledImages other) {
        if (!other.classes.equals(classes)) {
            throw new IllegalArgumentException(other.name + " names other classes than " + name);
        }
        List<Image> all = new ArrayList<>(images);
        all.addAll(other.images);
        int[] allLabels = Arrays.copyOf(labels, size() + other.size());
        System.arraycopy(other.labels, 0, allLabels, size(), other.size());
        return new LabelledImages(name + " + " + other.name, classes, all, allLabels, sha256);
    }

    /** The two parts of a split: {@code first} holds the asked fraction of every class. */
    public record Split(LabelledImages first, LabelledImages second) {
    }

    /**
     * A seeded, stratified split: {@code fraction} of each class's images (rounded, at least one
     * on each side when a class has two or more) go to the first part, the rest to the second; both
     * keep this set's order.
     */
    public Split split(double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("a split fraction must be between 0 and 1 (exclusive), got " + fraction);
        }
        boolean[] inFirst = new boolean[size()];
        Random random = new Random(seed);
        for (int c = 0; c < classes.size(); c++) {
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < size(); i++) {
                if (labels[i] == c) {
                    members.add(i);
                }
            }
            java.util.Collections.shuffle(members, random);
            int take = (int) Math.round(fraction * members.size());
            if (members.size() >= 2) {
                take = Math.max(1, Math.min(members.size() - 1, take));
            }
            for (int k = 0; k < take; k++) {
                inFirst[members.get(k)] = true;
            }
        }
        String how = String.format("split %.2f seed %d", fraction, seed);
        return new Split(subset(inFirst, true, name + " (" + how + ", first part)"),
                subset(inFirst, false, name + " (" + how + ", second part)"));
    }

    private LabelledImages subset(boolean[] inFirst, boolean wanted, String subsetName) {
        List<Image> kept = new ArrayList<>();
        int[] keptLabels = new int[size()];
        int n = 0;
        for (int i = 0; i < size(); i++) {
            if (inFirst[i] == wanted) {
                kept.add(images.get(i));
                keptLabels[n++] = labels[i];
            }
        }
        return new LabelledImages(subsetName, classes, kept, Arrays.copyOf(keptLabels, n), sha256);
    }

    /**
     * The same images labelled by their index in {@code modelClasses}: a model's class list may hold
     * more classes than the data, in any order, but every class of the data must be among them.
     *
     * @throws DataException naming the classes the models do not know
     */
    public LabelledImages inClassesOf(List<String> modelClasses, String whose) {
        if (modelClasses.equals(classes)) {
            return this;
        }
        int[] index = new int[classes.size()];
        List<String> unknown = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            index[c] = modelClasses.indexOf(classes.get(c));
            if (index[c] < 0) {
                unknown.add(classes.get(c));
            }
        }
        if (!unknown.isEmpty()) {
            throw new DataException(name + ": class(es) " + unknown + " are not classes of " + whose + ", which knows "
                    + (modelClasses.size() <= 20 ? modelClasses : modelClasses.subList(0, 20) + " and " + (modelClasses.size() - 20) + " more")
                    + "; rename the folders or remove them");
        }
        int[] relabelled = Arrays.stream(labels).map(l -> index[l]).toArray();
        return new LabelledImages(name, modelClasses, images, relabelled, sha256);
    }
}
