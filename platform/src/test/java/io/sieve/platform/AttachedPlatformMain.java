package io.sieve.platform;

import java.nio.file.Path;

/** Starts an attached platform (as the demo does) and waits forever: killed by a test to see its servers end with it. */
public final class AttachedPlatformMain {
    private AttachedPlatformMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        PlatformConfig config = new PlatformConfig(Path.of(args[0]), PlatformConfig.LOOPBACK, Integer.parseInt(args[1]),
                Integer.parseInt(args[2]), Integer.parseInt(args[3]), Path.of(args[4]));
        new EmbeddedPlatform(config).start(false);
        System.out.println("READY");
        Thread.sleep(Long.MAX_VALUE);
    }
}
