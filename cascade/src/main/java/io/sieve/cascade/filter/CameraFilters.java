package io.sieve.cascade.filter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which difference filter each camera gets, and which cameras learn their background: cameras of
 * one deployment differ (a fixed camera over a quiet scene wants a coarse threshold, footage where
 * small changes matter a fine one or none), so a threshold may be set per camera or per group of
 * cameras named by a prefix and {@code *}.
 *
 * <p>Thresholds are written {@code DEFAULT[,PATTERN=THRESHOLD...]}, e.g. {@code 4,scene-*=20}:
 * threshold 4 for every camera, 20 for those whose id starts with {@code scene-}; the longest
 * matching pattern wins. Backgrounds are a list of patterns ({@code scene-*,lobby}), {@code *} for
 * every camera or {@code none}.
 */
public final class CameraFilters {
    private final DifferenceFilter fallback;
    /** Patterns in the order given, with their filters; an exact id or a prefix followed by {@code *}. */
    private final Map<String, DifferenceFilter> byPattern;
    private final List<String> backgroundPatterns;

    private CameraFilters(DifferenceFilter fallback, Map<String, DifferenceFilter> byPattern, List<String> backgroundPatterns) {
        this.fallback = fallback;
        this.byPattern = byPattern;
        this.backgroundPatterns = backgroundPatterns;
    }

    /** One threshold for every camera (0: off), no backgrounds. */
    public static CameraFilters everywhere(double threshold) {
        return new CameraFilters(new DifferenceFilter(threshold), Map.of(), List.of());
    }

    /**
     * Reads the two settings.
     *
     * @param thresholds  {@code DEFAULT[,PATTERN=THRESHOLD...]}
     * @param backgrounds camera patterns that learn their background, {@code *} or {@code none}
     * @throws IllegalArgumentException saying what is wrong, e.g. a background for cameras without a filter
     */
    public static CameraFilters parse(String thresholds, String backgrounds) {
        String[] parts = thresholds.split(",");
        DifferenceFilter fallback = new DifferenceFilter(number(parts[0].trim(), thresholds));
        Map<String, DifferenceFilter> byPattern = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            String[] pair = parts[i].split("=", -1);
            if (pair.length != 2 || pair[0].isBlank()) {
                throw new IllegalArgumentException("filter thresholds must read DEFAULT[,CAMERA=THRESHOLD...] (a camera may end in *), "
                        + "got '" + parts[i].trim() + "' in '" + thresholds + "'");
            }
            String pattern = pattern(pair[0].trim());
            if (byPattern.put(pattern, new DifferenceFilter(number(pair[1].trim(), thresholds))) != null) {
                throw new IllegalArgumentException("camera pattern '" + pattern + "' is given two filter thresholds in '" + thresholds + "'");
            }
        }
        List<String> backgroundPatterns = new ArrayList<>();
        if (!"none".equals(backgrounds.trim().toLowerCase(Locale.ROOT))) {
            for (String p : backgrounds.split(",")) {
                if (!p.isBlank()) {
                    backgroundPatterns.add(pattern(p.trim()));
                }
            }
        }
        boolean anyFilter = fallback.enabled() || byPattern.values().stream().anyMatch(DifferenceFilter::enabled);
        if (!backgroundPatterns.isEmpty() && !anyFilter) {
            throw new IllegalArgumentException("cameras " + backgroundPatterns + " are to learn their background, but the difference filter "
                    + "is off for every camera: the background is recognised among the filter's scenes, so give them a threshold above 0");
        }
        return new CameraFilters(fallback, byPattern, List.copyOf(backgroundPatterns));
    }

    /** The camera's filter (off where its threshold is 0). */
    public DifferenceFilter filterFor(String camera) {
        DifferenceFilter best = fallback;
        int bestLength = -1;
        for (Map.Entry<String, DifferenceFilter> entry : byPattern.entrySet()) {
            int length = matchLength(entry.getKey(), camera);
            if (length > bestLength) {
                best = entry.getValue();
                bestLength = length;
            }
        }
        return best;
    }

    /**
     * Whether the camera learns its background, so that frames with nothing in view run no model:
     * it is named among the backgrounds and its filter is on.
     */
    public boolean learnsBackground(String camera) {
        return filterFor(camera).enabled() && backgroundPatterns.stream().anyMatch(p -> matchLength(p, camera) >= 0);
    }

    /** How a pattern matches a camera id: the length of what it names, or -1 where it does not match. */
    private static int matchLength(String pattern, String camera) {
        if (pattern.endsWith("*")) {
            // Looked up for every record: compare the prefix in place rather than cutting it out.
            int prefix = pattern.length() - 1;
            return camera.regionMatches(0, pattern, 0, prefix) ? prefix : -1;
        }
        return pattern.equals(camera) ? Integer.MAX_VALUE : -1;
    }

    private static String pattern(String p) {
        if (p.indexOf('*') >= 0 && p.indexOf('*') != p.length() - 1) {
            throw new IllegalArgumentException("a camera pattern may end in * and hold no other, got '" + p + "'");
        }
        return p;
    }

    private static double number(String value, String setting) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("filter threshold '" + value + "' in '" + setting + "' is not a number");
        }
    }
}
