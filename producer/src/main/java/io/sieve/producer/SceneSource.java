package io.sieve.producer;

import io.sieve.images.Image;
import io.sieve.images.LabelledImages;
import io.sieve.images.Resize;
import io.sieve.images.ResizeMethod;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.SplittableRandom;

/**
 * A fixed camera over a scene where labelled objects come and go, with the truth of every frame:
 * the scene's own background, an object (one of {@code objects}, at the frame size) that appears,
 * dwells for a seeded random time and leaves, then an empty scene for a while, and so on. Every
 * frame carries the label of the object in view, or none while the scene is empty. Sensor noise,
 * a slow lighting drift and an occasional shake of a pixel or two make consecutive frames of one
 * visit alike but not equal, as a real fixed camera's are.
 *
 * <p>Deterministic for a seed and camera id: the timeline (which object, how long) follows from
 * them and the frame number alone, so two runs, or a replay after a failure, give the same frames,
 * at any publishing rate; {@code framesPerSecond} only turns the seconds of the timeline into frames.
 */
public final class SceneSource implements FrameSource {
    /** How long an object stays in view, and how long the scene stays empty between objects, in seconds. */
    static final double MIN_DWELL_S = 2;
    static final double MAX_DWELL_S = 8;
    static final double MIN_GAP_S = 0.5;
    static final double MAX_GAP_S = 3;
    /** Standard deviation of the sensor noise, in grey levels. */
    static final double NOISE = 3;
    /** The lighting drifts by up to +-this share of brightness, over {@link #LIGHT_PERIOD_S}. */
    static final double LIGHT_DRIFT = 0.12;
    static final double LIGHT_PERIOD_S = 90;
    /** Share of seconds in which the camera shakes (for a quarter of a second, by one or two pixels). */
    static final double SHAKE_SHARE = 0.03;

    private final String cameraId;
    private final LabelledImages objects;
    private final int width;
    private final int height;
    private final double framesPerSecond;
    private final long seed;
    private final long frames;
    private final byte[] background;
    private final Image[] resized;
    private long sequence;
    /** The visit the timeline is in: its first frame, its object (-1: empty scene) and its end (exclusive). */
    private long visitStart;
    private long visitEnd;
    private int visitObject = -1;
    private long visitNumber = -1;
    private double visitEndSeconds;

    /**
     * @param objects         what appears in view, with its labels
     * @param framesPerSecond the camera's rate, which the timeline's seconds are counted in
     * @param frames          how many frames to give; 0 = without end
     */
    public SceneSource(String cameraId, LabelledImages objects, int width, int height, double framesPerSecond, long seed, long frames) {
        if (objects.size() == 0) {
            throw new IllegalArgumentException("a scene camera needs at least one labelled object image");
        }
        if (!(framesPerSecond > 0) || Double.isInfinite(framesPerSecond)) {
            throw new IllegalArgumentException("a scene camera's frame rate must be positive, got " + framesPerSecond);
        }
        this.cameraId = cameraId;
        this.objects = objects;
        this.width = width;
        this.height = height;
        this.framesPerSecond = framesPerSecond;
        this.seed = seed;
        this.frames = frames;
        this.background = background(new SplittableRandom(mix(seed, cameraId.hashCode(), -1)), width, height);
        this.resized = new Image[objects.size()];
    }

    @Override
    public String describe() {
        return String.format("scene camera %s (seed %d, %d labelled objects, %.1f frames/s timeline)", cameraId, seed, objects.size(),
                framesPerSecond);
    }

    @Override
    public OptionalLong expectedFrames() {
        return frames > 0 ? OptionalLong.of(frames) : OptionalLong.empty();
    }

    /** The label of the object in view at frame {@code frame} of this camera, or null while the scene is empty. */
    public Integer truthAt(long frame) {
        advanceTo(frame);
        return visitObject < 0 ? null : objects.labels()[visitObject];
    }

    @Override
    public SourceFrame next() {
        if (frames > 0 && sequence >= frames) {
            return null;
        }
        long frame = sequence++;
        advanceTo(frame);
        SplittableRandom random = new SplittableRandom(mix(seed, cameraId.hashCode(), frame));
        double seconds = frame / framesPerSecond;
        double light = 1 + LIGHT_DRIFT * Math.sin(2 * Math.PI * seconds / LIGHT_PERIOD_S);
        SplittableRandom shakeDice = new SplittableRandom(mix(seed, cameraId.hashCode(), -2 - (long) (seconds * 4)));
        boolean shaking = shakeDice.nextDouble() < SHAKE_SHARE;
        int dx = shaking ? shakeDice.nextInt(-2, 3) : 0;
        int dy = shaking ? shakeDice.nextInt(-2, 3) : 0;
        byte[] scene = visitObject < 0 ? background : object(visitObject);
        byte[] px = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            int sy = Math.min(height - 1, Math.max(0, y + dy));
            for (int x = 0; x < width; x++) {
                int sx = Math.min(width - 1, Math.max(0, x + dx));
                for (int c = 0; c < 3; c++) {
                    double v = (scene[3 * (sy * width + sx) + c] & 0xff) * light + random.nextGaussian() * NOISE;
                    px[3 * (y * width + x) + c] = (byte) Math.max(0, Math.min(255, Math.round(v)));
                }
            }
        }
        Integer label = visitObject < 0 ? null : objects.labels()[visitObject];
        return new SourceFrame(cameraId, frame, Instant.now(), new Image(width, height, 3, Image.Layout.HWC, px), label);
    }

    /** Moves the timeline to the visit that holds {@code frame}; visits alternate: empty scene, object, empty scene, ... */
    private void advanceTo(long frame) {
        if (frame < visitStart) {
            visitStart = 0;
            visitEnd = 0;
            visitEndSeconds = 0;
            visitNumber = -1;
        }
        while (frame >= visitEnd) {
            visitNumber++;
            visitStart = visitEnd;
            SplittableRandom random = new SplittableRandom(mix(seed, cameraId.hashCode(), Long.MIN_VALUE + visitNumber));
            boolean empty = visitNumber % 2 == 0;
            double seconds = empty ? MIN_GAP_S + (MAX_GAP_S - MIN_GAP_S) * random.nextDouble()
                    : MIN_DWELL_S + (MAX_DWELL_S - MIN_DWELL_S) * random.nextDouble();
            // Boundaries in seconds, so that a frame's truth depends on its time alone, whatever the rate.
            visitEndSeconds += seconds;
            visitEnd = Math.max(visitStart + 1, (long) Math.ceil(visitEndSeconds * framesPerSecond));
            visitObject = empty ? -1 : random.nextInt(objects.size());
        }
    }

    /** Object {@code index} at the frame size, as interleaved RGB (CIFAR-10 keeps its pictures channel by channel, some folders are grey). */
    private byte[] object(int index) {
        if (resized[index] == null) {
            Image image = Resize.to(objects.images().get(index), width, height, ResizeMethod.CENTER_CROP);
            resized[index] = image.layout() == Image.Layout.HWC && image.channels() == 3 ? image : interleaved(image);
        }
        return resized[index].pixels();
    }

    private static Image interleaved(Image image) {
        int plane = image.width() * image.height();
        byte[] px = new byte[plane * 3];
        byte[] source = image.pixels();
        int channels = image.channels();
        boolean planar = image.layout() == Image.Layout.CHW;
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                int from = Math.min(c, channels - 1);
                px[3 * i + c] = source[planar ? from * plane + i : channels * i + from];
            }
        }
        return new Image(image.width(), image.height(), 3, Image.Layout.HWC, px);
    }

    /** A fixed scene: a sky-to-ground gradient with a few blocks, the camera's own. */
    private static byte[] background(SplittableRandom random, int width, int height) {
        int[] sky = {random.nextInt(90, 170), random.nextInt(110, 190), random.nextInt(150, 230)};
        int[] ground = {random.nextInt(60, 130), random.nextInt(60, 130), random.nextInt(50, 110)};
        byte[] px = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            double t = (double) y / Math.max(1, height - 1);
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < 3; c++) {
                    px[3 * (y * width + x) + c] = (byte) Math.round(sky[c] * (1 - t) + ground[c] * t);
                }
            }
        }
        for (int block = 0; block < 4; block++) {
            int w = Math.max(1, width / random.nextInt(4, 9));
            int h = Math.max(1, height / random.nextInt(3, 7));
            int x0 = random.nextInt(Math.max(1, width - w));
            int y0 = height / 3 + random.nextInt(Math.max(1, height - height / 3 - h));
            int grey = random.nextInt(40, 200);
            for (int y = y0; y < y0 + h; y++) {
                for (int x = x0; x < x0 + w; x++) {
                    for (int c = 0; c < 3; c++) {
                        px[3 * (y * width + x) + c] = (byte) grey;
                    }
                }
            }
        }
        return px;
    }

    private static long mix(long seed, long camera, long index) {
        long h = seed * 0x9E3779B97F4A7C15L ^ camera * 0xC2B2AE3D27D4EB4FL ^ index * 0x165667B19E3779F9L;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        return h ^ (h >>> 33);
    }
}
