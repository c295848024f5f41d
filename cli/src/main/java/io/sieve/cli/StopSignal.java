package io.sieve.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ctrl-C (SIGINT) or SIGTERM for a long-running command: the JVM's shutdown hook only raises the
 * flag and then waits until the command's own thread has stopped what it started, in its own
 * order, so that nothing is cut off mid-way (a producer's last batch, a transaction, a child process).
 */
final class StopSignal implements AutoCloseable {
    /** How long the hook lets the command clean up before the JVM exits anyway. */
    private static final long CLEANUP_SECONDS = 60;

    private final AtomicBoolean requested = new AtomicBoolean();
    private final CountDownLatch requestedLatch = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;
    private volatile boolean shuttingDown;

    private StopSignal(String name, String message) {
        hook = new Thread(() -> {
            shuttingDown = true;
            requested.set(true);
            requestedLatch.countDown();
            if (message != null) {
                System.err.println("\n" + message);
            }
            try {
                finished.await(CLEANUP_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, name + "-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Installs the hook; {@code message} (may be null) is printed when a stop is asked for. */
    static StopSignal install(String name, String message) {
        return new StopSignal(name, message);
    }

    /** The flag a loop polls (e.g. {@code ProducerRun.run}'s stop flag): true once a stop is asked for. */
    AtomicBoolean flag() {
        return requested;
    }

    boolean requested() {
        return requested.get();
    }

    /** Waits until a stop is asked for. */
    void await() throws InterruptedException {
        requestedLatch.await();
    }

    /** Waits up to {@code millis} for a stop; true if one was asked for. */
    boolean await(long millis) throws InterruptedException {
        return requestedLatch.await(millis, TimeUnit.MILLISECONDS);
    }

    /** Tells the hook the command has cleaned up (so the JVM may exit), or removes the hook when the JVM is not shutting down. */
    @Override
    public void close() {
        finished.countDown();
        if (!shuttingDown) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is already exiting (e.g. System.exit): the hook will find the latch released.
            }
        }
    }
}
