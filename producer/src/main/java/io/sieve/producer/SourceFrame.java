package io.sieve.producer;

import io.sieve.images.Image;
import java.time.Instant;

/** A camera frame ready to publish: already at the publishing size, with its label when the source knows it. */
public record SourceFrame(String cameraId, long sequence, Instant captureTime, Image image, Integer label) {
}
