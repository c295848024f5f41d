package io.sieve.cli;

import io.sieve.schemas.Progress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** Progress records as they arrive, with their arrival times. */
final class ProgressLog {
    final List<Progress> records = new CopyOnWriteArrayList<>();
    private final Map<Progress, Long> arrivals = new ConcurrentHashMap<>();

    void add(Progress p) {
        arrivals.put(p, System.nanoTime());
        records.add(p);
    }

    int size() {
        return records.size();
    }

    long arrivalOf(Progress p) {
        return arrivals.get(p);
    }

    Progress last(String queryId) {
        List<Progress> mine = records.stream().filter(p -> p.getQueryId().equals(queryId)).toList();
        return mine.get(mine.size() - 1);
    }

    Progress await(Predicate<Progress> condition, Duration timeout) throws InterruptedException {
        return awaitAfter(0, condition, timeout);
    }

    /** The first record from position {@code from} on that matches. */
    Progress awaitAfter(int from, Predicate<Progress> condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (int i = from; i < records.size(); i++) {
                if (condition.test(records.get(i))) {
                    return records.get(i);
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no progress record matched within " + timeout + "; last: "
                + (records.isEmpty() ? "none" : records.get(records.size() - 1)));
    }
}
