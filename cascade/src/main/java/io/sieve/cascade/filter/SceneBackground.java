package io.sieve.cascade.filter;

import io.sieve.images.Image;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One fixed camera's empty scene, learned from the scenes it shows: NoScope's reference image,
 * without anyone having to give it. Each scene the difference filter starts (a reference frame) is
 * compared with the scenes seen before; the scene the camera keeps coming back to, between whatever
 * passes through, is its background, and a frame that shows it has nothing in view. Objects come
 * and go and seldom come back the same; the background returns after every one of them.
 *
 * <p>Two scenes match when every block of an 8 x 8 grid differs by less than the threshold (mean
 * absolute difference per sample), after the newer frame's brightness is scaled to the older one's:
 * an object that covers one block is something in view, and a camera whose light changes between
 * visits (clouds, dusk, auto exposure) still sees the same scene. Each visit replaces the remembered
 * picture, so slow changes are followed. Until the camera has returned to a scene, nothing is
 * called background, and frames run the models as they would without this. A return counts only
 * after the scene was out of view for {@link #MIN_ABSENCE_FRAMES}: a camera that shakes for a moment
 * shows an object, a shifted picture of it, and the object again, and the object is no background.
 */
public final class SceneBackground {
    /** Scenes remembered while looking for the one the camera returns to; the least visited is forgotten first. */
    static final int REMEMBERED_SCENES = 8;
    /** Visits that make a scene the background: it was left and came back. */
    static final int VISITS_TO_LEARN = 2;
    /** The comparison grid: blocks per side. */
    static final int GRID = 8;
    /** Frames a scene must be out of view for its return to count as a visit. */
    static final long MIN_ABSENCE_FRAMES = 10;

    private final double threshold;
    private final List<Scene> scenes = new ArrayList<>();
    private Scene background;
    /** The scene in view: the last one a reference started. */
    private Scene current;

    private static final class Scene {
        Image picture;
        int visits = 1;
        /** The sequence number of the first frame after the scene's last visit (while in view: of its last reference). */
        long leftAt;

        Scene(Image picture, long sequence) {
            this.picture = picture;
            this.leftAt = sequence;
        }
    }

    /** @param threshold largest mean absolute difference per sample, in any block, of a frame that shows the background */
    public SceneBackground(double threshold) {
        if (!(threshold > 0) || threshold > 255) {
            throw new IllegalArgumentException("background threshold must be in (0, 255], got " + threshold);
        }
        this.threshold = threshold;
    }

    /**
     * Learns from a scene the camera begins to show and says whether it is the background:
     * {@code reference} is the first frame of a scene (the difference filter's reference), number
     * {@code sequence} of the camera, given in the camera's order.
     */
    public boolean isBackground(Image reference, long sequence) {
        if (current != null) {
            current.leftAt = sequence;
        }
        Scene seen = null;
        for (Scene scene : scenes) {
            if (sameScene(scene.picture, reference, threshold)) {
                seen = scene;
                break;
            }
        }
        if (seen == null) {
            if (scenes.size() == REMEMBERED_SCENES) {
                scenes.stream().filter(s -> s != background)
                        .min(Comparator.<Scene>comparingInt(s -> s.visits).thenComparingLong(s -> s.leftAt))
                        .ifPresent(scenes::remove);
            }
            current = new Scene(reference, sequence);
            scenes.add(current);
            return false;
        }
        if (sequence - seen.leftAt >= MIN_ABSENCE_FRAMES) {
            seen.visits++;
        }
        seen.picture = reference;
        current = seen;
        if (seen.visits >= VISITS_TO_LEARN && (background == null || seen.visits > background.visits)) {
            background = seen;
        }
        return seen == background;
    }

    /** Whether a background has been learned yet. */
    public boolean learned() {
        return background != null;
    }

    /**
     * Whether {@code b} shows the scene {@code a} shows: same shape, and every block of the grid
     * within {@code threshold} of it once {@code b}'s brightness is scaled to {@code a}'s.
     */
    static boolean sameScene(Image a, Image b, double threshold) {
        if (!a.sameShapeAs(b)) {
            return false;
        }
        byte[] x = a.pixels();
        byte[] y = b.pixels();
        long sumX = 0;
        long sumY = 0;
        for (int i = 0; i < x.length; i++) {
            sumX += x[i] & 0xff;
            sumY += y[i] & 0xff;
        }
        double gain = sumY == 0 ? 1 : (double) sumX / sumY;
        int width = a.width();
        int height = a.height();
        int channels = a.channels();
        boolean planar = a.layout() == Image.Layout.CHW;
        double[] blockSum = new double[GRID * GRID];
        int[] blockSamples = new int[GRID * GRID];
        for (int c = 0; c < channels; c++) {
            for (int row = 0; row < height; row++) {
                int blockRow = row * GRID / height;
                for (int col = 0; col < width; col++) {
                    int i = planar ? (c * height + row) * width + col : (row * width + col) * channels + c;
                    int block = blockRow * GRID + col * GRID / width;
                    blockSum[block] += Math.abs((x[i] & 0xff) - gain * (y[i] & 0xff));
                    blockSamples[block]++;
                }
            }
        }
        for (int block = 0; block < blockSum.length; block++) {
            if (blockSamples[block] > 0 && blockSum[block] / blockSamples[block] >= threshold) {
                return false;
            }
        }
        return true;
    }
}
