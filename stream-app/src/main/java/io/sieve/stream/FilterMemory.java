package io.sieve.stream;

import io.sieve.cascade.filter.SceneBackground;
import io.sieve.images.Image;
import io.sieve.schemas.StageResult;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The difference filter's memory across records, per camera: the last reference frame a stage saw
 * and what became of it there, so that a fixed camera's frames follow a reference from an earlier
 * batch, and the camera's background as learned so far. Kept in memory only: a restart or a
 * rebalance forgets it, and then the next frame of each camera simply runs the models again (one
 * call more per camera, never a wrong link) and the background is learned anew, as a reference is
 * forgotten for a batch that does not come after it (a replay, or a camera that started counting anew).
 */
final class FilterMemory {
    /** Cameras remembered per stream task; the least recently seen is forgotten first. */
    static final int MAX_CAMERAS = 10_000;

    /**
     * @param image    the reference's pixels, kept where the filter compares frames (the first stage); null elsewhere
     * @param decision the reference's deciding result at this stage, or null while a later stage is still to decide it
     */
    record Reference(long sequence, Image image, StageResult decision) {
    }

    private static final class Camera {
        Reference reference;
        SceneBackground background;
    }

    private final Map<String, Camera> byCamera = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Camera> eldest) {
            return size() > MAX_CAMERAS;
        }
    };

    /** The camera's reference for a batch whose first frame is {@code firstSequence}, or null. */
    Reference before(String camera, long firstSequence) {
        Camera memory = byCamera.get(camera);
        if (memory == null || memory.reference == null) {
            return null;
        }
        if (memory.reference.sequence() >= firstSequence) {
            memory.reference = null;
        }
        return memory.reference;
    }

    void remember(String camera, Reference reference) {
        byCamera.computeIfAbsent(camera, c -> new Camera()).reference = reference;
    }

    void forget(String camera) {
        Camera memory = byCamera.get(camera);
        if (memory != null) {
            memory.reference = null;
        }
    }

    /** The camera's background, learned with {@code threshold} (from the first call for the camera). */
    SceneBackground background(String camera, double threshold) {
        Camera memory = byCamera.computeIfAbsent(camera, c -> new Camera());
        if (memory.background == null) {
            memory.background = new SceneBackground(threshold);
        }
        return memory.background;
    }
}
