package io.sieve.cli;

import java.util.Arrays;
import java.util.stream.DoubleStream;

/** Reads sample values out of the Prometheus text format that {@code /metrics} and {@link SieveStreamApp#scrapeMetrics()} give. */
final class PrometheusText {
    private PrometheusText() {
    }

    /** The values of the samples of {@code metric} whose lines contain every one of {@code labels}, e.g. {@code stage="0"}. */
    public static DoubleStream samples(String scrape, String metric, String... labels) {
        return scrape.lines()
                .filter(l -> l.startsWith(metric + "{") || l.startsWith(metric + " "))
                .filter(l -> Arrays.stream(labels).allMatch(l::contains))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)));
    }
}
