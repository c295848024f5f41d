package io.sieve.platform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A server running in a child JVM, tracked through a pid file so that a later command (status,
 * stop) finds it again. The pid file also records the process's start time, so a recycled pid is
 * never mistaken for the server.
 */
final class ManagedProcess {
    private final String name;
    private final Path pidFile;
    private final Path logFile;

    ManagedProcess(String name, Path runDir, Path logDir) {
        this.name = name;
        this.pidFile = runDir.resolve(name + ".pid");
        this.logFile = logDir.resolve(name + ".log");
    }

    String name() {
        return name;
    }

    Path logFile() {
        return logFile;
    }

    /** The running process recorded in the pid file, if it is still ours. */
    Optional<ProcessHandle> running() {
        if (!Files.isRegularFile(pidFile)) {
            return Optional.empty();
        }
        try {
            String[] recorded = Files.readString(pidFile).trim().split("\\s+");
            long pid = Long.parseLong(recorded[0]);
            String started = recorded.length > 1 ? recorded[1] : "";
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(p -> startTime(p).equals(started));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String startTime(ProcessHandle process) {
        return process.info().startInstant().map(Object::toString).orElse("unknown");
    }

    static void requireFreePort(String host, int port, String what, String option) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new PlatformException(what + " port " + host + ":" + port + " is already in use by another process ("
                    + e.getMessage() + "); stop that process or choose another port with " + option);
        }
    }

    /**
     * A shell that runs the server and ends it when the process that started it is gone, however that
     * one ended (a SIGKILL runs no shutdown hook): the watch polls the parent once a second.
     */
    private static final String WATCH_PARENT = "parent=$1; shift; \"$@\" & server=$!; "
            + "trap 'kill $server 2>/dev/null; wait $server; exit' TERM INT; "
            + "while kill -0 \"$parent\" 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 1; done; "
            + "kill $server 2>/dev/null; wait $server";

    /**
     * Starts {@code command} with extra {@code environment}, writing its output to the log file, and records its pid.
     *
     * @param detach true: the server outlives this JVM until stopped; false: it ends when this JVM does
     */
    ProcessHandle start(List<String> command, Map<String, String> environment, boolean detach) {
        try {
            Files.createDirectories(pidFile.getParent());
            Files.createDirectories(logFile.getParent());
            List<String> full = new ArrayList<>();
            // setsid puts the server in its own session, so a Ctrl-C in the terminal reaches only the
            // command that started it: `platform start` exits and the platform stays; the demo stops its
            // stream app first and then the servers, instead of losing the broker under it.
            if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
                full.add("/usr/bin/setsid");
            }
            if (!detach) {
                full.addAll(List.of("/bin/sh", "-c", WATCH_PARENT, "sieve-" + name, Long.toString(ProcessHandle.current().pid())));
            }
            full.addAll(command);
            ProcessBuilder builder = new ProcessBuilder(full)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            builder.environment().putAll(environment);
            Files.writeString(logFile, "=== " + name + " starting at " + Instant.now() + " ===\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            Process process = builder.start();
            Files.writeString(pidFile, process.pid() + " " + startTime(process.toHandle()) + "\n");
            return process.toHandle();
        } catch (IOException e) {
            throw new PlatformException("cannot start " + name + ": " + e.getMessage() + " (log: " + logFile + ")", e);
        }
    }

    /** Waits until {@code ready} holds; fails early, naming the log, if the process dies first. */
    void awaitReady(ProcessHandle process, BooleanSupplier ready, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new PlatformException(name + " exited during start-up; see its log " + logFile + ":\n" + logTail(15));
            }
            if (ready.getAsBoolean()) {
                return;
            }
            sleep(200);
        }
        stop(process);
        throw new PlatformException(name + " did not become ready within " + timeout.toSeconds() + " s; see its log "
                + logFile + ":\n" + logTail(15));
    }

    /** Stops the recorded process: SIGTERM, then SIGKILL after a grace period; removes the pid file. */
    boolean stop() {
        Optional<ProcessHandle> process = running();
        process.ifPresent(this::stop);
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return process.isPresent();
    }

    /** SIGKILLs the recorded process and everything it started, as a crash would; the pid file stays, as after a crash. */
    void kill() {
        running().ifPresent(process -> {
            List<ProcessHandle> tree = tree(process);
            tree.forEach(ProcessHandle::destroyForcibly);
            awaitExit(tree, "kill");
        });
    }

    /** SIGTERM to the process and everything it started; SIGKILL for whatever still runs after a grace period. */
    private void stop(ProcessHandle process) {
        List<ProcessHandle> tree = tree(process);
        tree.forEach(ProcessHandle::destroy);
        for (ProcessHandle p : tree) {
            try {
                p.onExit().get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        awaitExit(tree, "stop");
    }

    private static List<ProcessHandle> tree(ProcessHandle process) {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process);
        return tree;
    }

    private void awaitExit(List<ProcessHandle> tree, String verb) {
        for (ProcessHandle p : tree) {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new PlatformException("could not " + verb + " " + name + " (pid " + p.pid() + ")");
            }
        }
    }

    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log)";
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PlatformException("interrupted");
        }
    }
}
