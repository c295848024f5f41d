package io.sieve.platform.testing;

import io.sieve.platform.EmbeddedPlatform;
import io.sieve.platform.PlatformConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts one real embedded platform (broker and registry JVMs, free loopback ports, a temporary
 * data directory) for the whole test run of a module, and stops it when the run ends.
 * Integration tests receive it as an {@link EmbeddedPlatform} or {@link PlatformConfig} parameter.
 */
public final class PlatformExtension implements ParameterResolver {

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == EmbeddedPlatform.class || type == PlatformConfig.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        EmbeddedPlatform platform = context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .computeIfAbsent(RunningPlatform.class, k -> RunningPlatform.start(), RunningPlatform.class).platform;
        return parameter.getParameter().getType() == EmbeddedPlatform.class ? platform : platform.config();
    }

    /** Builds a platform configuration on free ports under a fresh temporary directory. */
    public static PlatformConfig freshConfig() {
        try {
            Path home = Path.of(System.getProperty("sieve.home", ".")).toAbsolutePath();
            Path dataDir = Files.createTempDirectory("sieve-it-");
            int[] ports = freePorts(3);
            return new PlatformConfig(dataDir, PlatformConfig.LOOPBACK, ports[0], ports[1], ports[2],
                    PlatformConfig.defaultRegistryRunner(home));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A platform of {@code brokers} brokers on free ports (each broker and controller on every second port from a free base). */
    public static PlatformConfig freshConfig(int brokers) {
        try {
            Path home = Path.of(System.getProperty("sieve.home", ".")).toAbsolutePath();
            Path dataDir = Files.createTempDirectory("sieve-it-");
            java.util.Random random = new java.util.Random();
            for (int attempt = 0; attempt < 200; attempt++) {
                int base = 20_000 + 2 * random.nextInt(15_000);
                if (rangeFree(base, 2 * brokers)) {
                    return new PlatformConfig(dataDir, PlatformConfig.LOOPBACK, base, base + 1, freePorts(1)[0],
                            PlatformConfig.defaultRegistryRunner(home), brokers);
                }
            }
            throw new IllegalStateException("no " + 2 * brokers + " consecutive free ports found");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean rangeFree(int first, int count) {
        for (int port = first; port < first + count; port++) {
            try (ServerSocket socket = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                socket.setReuseAddress(true);
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    public static int[] freePorts(int count) throws IOException {
        ServerSocket[] sockets = new ServerSocket[count];
        int[] ports = new int[count];
        try {
            for (int i = 0; i < count; i++) {
                sockets[i] = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                ports[i] = sockets[i].getLocalPort();
            }
        } finally {
            for (ServerSocket s : sockets) {
                if (s != null) {
                    s.close();
                }
            }
        }
        return ports;
    }

    private static final class RunningPlatform implements AutoCloseable {
        private final EmbeddedPlatform platform;

        private RunningPlatform(EmbeddedPlatform platform) {
            this.platform = platform;
        }

        static RunningPlatform start() {
            EmbeddedPlatform platform = new EmbeddedPlatform(freshConfig());
            platform.start(false);
            return new RunningPlatform(platform);
        }

        @Override
        public void close() {
            platform.stop();
        }
    }
}
