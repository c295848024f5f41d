package io.sieve.cascade.runtime;

import java.nio.charset.StandardCharsets;

/**
 * The live audit's coin for one frame: a uniform draw in [0, 1) fixed by the query's seed, the
 * query, the camera and the frame's sequence number, so that every instance (and every replay of a
 * record after a failure) makes the same pick, and the pick is independent of what the frame shows,
 * which is what lets the audited frames stand for all of them.
 */
public final class AuditCoin {
    private AuditCoin() {
    }

    /** Whether the frame is picked for an audit of share {@code rate}. */
    public static boolean picked(double rate, long seed, String queryId, String cameraId, long sequence) {
        return rate > 0 && draw(seed, queryId, cameraId, sequence) < rate;
    }

    static double draw(long seed, String queryId, String cameraId, long sequence) {
        long h = mix(seed ^ 0x5DEECE66DL);
        h = mix(h ^ fingerprint(queryId == null ? "" : queryId));
        h = mix(h ^ fingerprint(cameraId));
        h = mix(h ^ sequence);
        return (h >>> 11) * 0x1.0p-53;
    }

    /** FNV-1a over the UTF-8 bytes: stable across JVMs, unlike String.hashCode's 32 bits of spread. */
    private static long fingerprint(String text) {
        long h = 0xcbf29ce484222325L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return h;
    }

    /** SplitMix64's finaliser. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
