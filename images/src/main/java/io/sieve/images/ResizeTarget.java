package io.sieve.images;

/** A size and the method that brings images to it: what one model's input asks of a frame. */
public record ResizeTarget(int width, int height, ResizeMethod method) {
    public ResizeTarget {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("a resize target needs a positive size, got " + width + "x" + height);
        }
    }

    public Image apply(Image image) {
        return Resize.to(image, width, height, method);
    }
}
