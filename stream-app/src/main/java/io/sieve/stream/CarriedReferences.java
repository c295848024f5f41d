package io.sieve.stream;

import io.sieve.images.Image;
import io.sieve.schemas.StageResult;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The difference filter's memory across records, per camera: the last reference frame a stage saw
 * and what became of it there, so that a fixed camera's frames follow a reference from an earlier
 * batch. Kept in memory only: a restart or a rebalance forgets it, and then the next frame of each
 * camera simply runs the models again (one call more per camera, never a wrong link), as does a
 * batch that does not come after the reference (a replay, or a camera that started counting anew).
 */
final class CarriedReferences {
    /** Cameras remembered per stream task; the least recently seen is forgotten first. */
    static final int MAX_CAMERAS = 10_000;

    /**
     * @param image    the reference's pixels, kept where the filter compares frames (the first stage); null elsewhere
     * @param decision the reference's deciding result at this stage, or null while a later stage is still to decide it
     */
    record Reference(long sequence, Image image, StageResult decision) {
    }

    private final Map<String, Reference> byCamera = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Reference> eldest) {
            return size() > MAX_CAMERAS;
        }
    };

    /** The camera's reference for a batch whose first frame is {@code firstSequence}, or null. */
    Reference before(String camera, long firstSequence) {
        Reference reference = byCamera.get(camera);
        if (reference != null && reference.sequence() >= firstSequence) {
            byCamera.remove(camera);
            return null;
        }
        return reference;
    }

    void remember(String camera, Reference reference) {
        byCamera.put(camera, reference);
    }

    void forget(String camera) {
        byCamera.remove(camera);
    }
}
