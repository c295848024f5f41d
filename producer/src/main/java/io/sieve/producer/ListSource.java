package io.sieve.producer;

import io.sieve.images.Image;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;

/**
 * Frames read and checked in full before anything is sent (CIFAR-10 files, image folders), so a
 * bad input fails the run before its first frame. Optionally replayed in a seeded random order, as
 * retrospective queries need for unbiased early estimates.
 */
public final class ListSource implements FrameSource {
    private final String description;
    private final String cameraId;
    private final List<Image> images;
    private final List<Integer> labels;
    private final List<Integer> order;
    private int next;

    public ListSource(String description, String cameraId, List<Image> images, List<Integer> labels) {
        if (images.size() != labels.size()) {
            throw new IllegalArgumentException(images.size() + " images but " + labels.size() + " labels");
        }
        this.description = description;
        this.cameraId = cameraId;
        this.images = images;
        this.labels = labels;
        this.order = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            order.add(i);
        }
    }

    /** Replays the frames in the order of a permutation drawn with {@code seed}; frame sequence numbers stay their file positions. */
    public ListSource shuffled(long seed) {
        Collections.shuffle(order, new Random(seed));
        return this;
    }

    public ListSource limit(int n) {
        while (order.size() > n) {
            order.remove(order.size() - 1);
        }
        return this;
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public SourceFrame next() {
        if (next >= order.size()) {
            return null;
        }
        int index = order.get(next++);
        return new SourceFrame(cameraId, index, Instant.now(), images.get(index), labels.get(index));
    }

    /** Position of the frame last returned by {@link #next} in the replay order. */
    public long position() {
        return next - 1;
    }

    @Override
    public OptionalLong expectedFrames() {
        return OptionalLong.of(order.size());
    }
}
