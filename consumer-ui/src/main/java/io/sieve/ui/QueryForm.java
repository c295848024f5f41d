package io.sieve.ui;

import io.sieve.schemas.QueryAction;
import io.sieve.schemas.QueryCommand;
import io.sieve.schemas.QueryMode;
import io.sieve.client.QueryClient;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The page's "start a query" form, validated field by field; every problem is reported, none silently fixed. */
record QueryForm(String id, String target, String cameras, boolean live, String expected, String from, String to, String precision) {
    /** The problems with this form, empty when it is valid. */
    List<String> errors(List<String> classes) {
        List<String> errors = new ArrayList<>();
        if (!QueryClient.isValidName(id)) {
            errors.add("Query id must be 1-64 letters, digits, '.', '_' or '-'.");
        }
        if (target != null && !target.isBlank() && !classes.contains(target)) {
            errors.add("Target class must be one of: " + String.join(", ", classes) + ".");
        }
        for (String camera : cameraList()) {
            if (!QueryClient.isValidName(camera)) {
                errors.add("Camera names must be 1-64 letters, digits, '.', '_' or '-'.");
                break;
            }
        }
        if (expected != null && !expected.isBlank()) {
            try {
                if (Long.parseLong(expected.trim()) < 1) {
                    errors.add("Expected frames must be a positive whole number.");
                }
            } catch (NumberFormatException e) {
                errors.add("Expected frames must be a positive whole number.");
            }
        }
        Instant start = time(from, "Start time", errors);
        Instant end = time(to, "End time", errors);
        if (start != null && end != null && !start.isBefore(end)) {
            errors.add("The start time must be before the end time.");
        }
        if (precision != null && !precision.isBlank()) {
            Double points = precisionPoints();
            if (points == null || !(points > 0 && points < 100)) {
                errors.add("Precision must be a number of percentage points between 0 and 100, e.g. 2 for +-2 points.");
            }
        }
        if (!live && !cameraList().isEmpty()) {
            errors.add("Cameras apply to live queries; a retrospective query takes the frames sent for it.");
        }
        return errors;
    }

    QueryCommand toCommand() {
        return QueryCommand.newBuilder()
                .setQueryId(id)
                .setAction(QueryAction.START)
                .setMode(live ? QueryMode.LIVE : QueryMode.RETROSPECTIVE)
                .setCameras(cameraList())
                .setTargetClass(target == null || target.isBlank() ? null : target)
                .setExpectedFrames(expected == null || expected.isBlank() ? null : Long.parseLong(expected.trim()))
                .setFromTime(from == null || from.isBlank() ? null : Instant.parse(from.trim()))
                .setToTime(to == null || to.isBlank() ? null : Instant.parse(to.trim()))
                .setPrecisionShare(precision == null || precision.isBlank() ? null : precisionPoints() / 100)
                .setIssuedTime(Instant.now())
                .build();
    }

    /** The precision field as points, or null when it is not a number. */
    private Double precisionPoints() {
        try {
            return Double.parseDouble(precision.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private List<String> cameraList() {
        if (cameras == null || cameras.isBlank()) {
            return List.of();
        }
        return Arrays.stream(cameras.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static Instant time(String value, String what, List<String> errors) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(value.trim());
        } catch (RuntimeException e) {
            errors.add(what + " must be an ISO-8601 instant such as 2026-11-23T08:00:00Z.");
            return null;
        }
    }
}
