package io.sieve.producer;

import io.sieve.images.Image;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * A synthetic camera for trying the pipeline without data: a bright square drifting over a
 * background of the camera's own colour. Deterministic for a given camera id.
 */
public final class SyntheticSource implements FrameSource {
    private final String cameraId;
    private final int width;
    private final int height;
    private final long frames;
    private final int background;
    private long sequence;

    /** @param frames how many frames to give; 0 = without end */
    public SyntheticSource(String cameraId, int width, int height, long frames) {
        this.cameraId = cameraId;
        this.width = width;
        this.height = height;
        this.frames = frames;
        this.background = cameraId.hashCode();
    }

    @Override
    public String describe() {
        return "synthetic camera " + cameraId;
    }

    @Override
    public SourceFrame next() {
        if (frames > 0 && sequence >= frames) {
            return null;
        }
        byte[] px = new byte[width * height * 3];
        int side = Math.max(2, width / 4);
        int x0 = (int) (sequence % (width - side));
        int y0 = (int) ((sequence / 3) % (height - side));
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                boolean square = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
                int o = 3 * (y * width + x);
                px[o] = (byte) (square ? 240 : (background >> 16) & 0x7f);
                px[o + 1] = (byte) (square ? 240 : (background >> 8) & 0x7f);
                px[o + 2] = (byte) (square ? 200 : background & 0x7f);
            }
        }
        return new SourceFrame(cameraId, sequence++, Instant.now(), new Image(width, height, 3, Image.Layout.HWC, px), null);
    }

    @Override
    public OptionalLong expectedFrames() {
        return frames > 0 ? OptionalLong.of(frames) : OptionalLong.empty();
    }
}
