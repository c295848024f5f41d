package io.sieve.stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sieve.cascade.estimate.OnlineEstimate;
import java.io.IOException;
import java.io.UncheckedIOException;

/** One query's running totals, kept in the aggregator's state store (as JSON) so that they survive restarts. */
final class QueryAggregate {
    private static final ObjectMapper JSON = new ObjectMapper();

    public Long expected;
    public String targetClass;
    public boolean live;
    public long seen;
    public long firstDecidedMillis;
    public long lastDecidedMillis;
    public long[] framesIn;
    public long[] decided;
    public double[] inferenceMicros;
    public OnlineEstimate.State estimate;
    /** null while running; DONE or ABORTED once final. */
    public String finalState;
    public boolean dirty;
    /** Lag-1 autocorrelation sums of the "shows the target class" indicator, in arrival order (live video). */
    public long pairs;
    public double sumX;
    public double sumXX;
    public double sumXY;
    public int previousIndicator = -1;

    static QueryAggregate empty(int stages) {
        QueryAggregate a = new QueryAggregate();
        a.framesIn = new long[stages];
        a.decided = new long[stages];
        a.inferenceMicros = new double[stages];
        return a;
    }

    byte[] toBytes() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static QueryAggregate fromBytes(byte[] bytes) {
        try {
            return JSON.readValue(bytes, QueryAggregate.class);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt query aggregate in the state store", e);
        }
    }

    void observeIndicator(int x) {
        if (previousIndicator >= 0) {
            pairs++;
            sumX += previousIndicator;
            sumXX += previousIndicator * previousIndicator;
            sumXY += previousIndicator * x;
        }
        previousIndicator = x;
    }

    /**
     * The variance inflation (1 + rho) / (1 - rho) of an AR(1)-like sequence with lag-1
     * autocorrelation rho, clamped to [1, 39]: consecutive video frames repeat each other, so n
     * correlated frames carry the information of fewer independent ones.
     */
    double designEffect() {
        if (pairs < 30) {
            return 1;
        }
        double mean = sumX / pairs;
        double variance = sumXX / pairs - mean * mean;
        if (variance <= 1e-12) {
            return 1;
        }
        double rho = Math.max(0, Math.min(0.95, (sumXY / pairs - mean * mean) / variance));
        return (1 + rho) / (1 - rho);
    }
}
