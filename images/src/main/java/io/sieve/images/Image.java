package io.sieve.images;

/**
 * An 8-bit RGB image as cameras and files deliver it: {@code HWC} is interleaved rows (RGBRGB...),
 * {@code CHW} one plane per channel (the CIFAR-10 files).
 */
public record Image(int width, int height, int channels, Layout layout, byte[] pixels) {
    public enum Layout { HWC, CHW }

    public Image {
        if (width < 1 || height < 1 || channels < 1) {
            throw new IllegalArgumentException("image dimensions must be positive, got " + width + "x" + height + "x" + channels);
        }
        long expected = (long) width * height * channels;
        if (pixels == null || pixels.length != expected) {
            throw new IllegalArgumentException("a " + width + "x" + height + "x" + channels + " image needs " + expected
                    + " pixel bytes, got " + (pixels == null ? "none" : pixels.length));
        }
    }

    /** Whether {@code other} has this image's width, height, channels and layout, so that their samples line up one to one. */
    public boolean sameShapeAs(Image other) {
        return width == other.width && height == other.height && channels == other.channels && layout == other.layout;
    }
}
