package io.sieve.images;

/** How a frame's pixels travel: raw 8-bit samples, or a compressed picture. */
public enum PixelEncoding {
    /** width * height * channels bytes as they are: no work on either side, the largest records. */
    RAW,
    /** Lossy: the smallest records for camera-sized frames, at some cost to encode and decode. */
    JPEG,
    /** Lossless: decoded pixels equal the raw ones exactly. */
    PNG
}
