package io.sieve.images;

import java.util.List;

/** Images with their true class indices, in a fixed order. */
public record LabelledImages(String name, List<Image> images, int[] labels) {
    public LabelledImages {
        if (images.size() != labels.length) {
            throw new IllegalArgumentException(images.size() + " images but " + labels.length + " labels");
        }
    }

    public int size() {
        return labels.length;
    }

    public LabelledImages first(int n) {
        int k = Math.min(n, size());
        return new LabelledImages(name + " (first " + k + ")", images.subList(0, k), java.util.Arrays.copyOf(labels, k));
    }
}
