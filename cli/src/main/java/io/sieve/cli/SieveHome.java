package io.sieve.cli;

import java.nio.file.Path;

/**
 * The Sieve checkout every command works in: the launcher passes it as {@code -Dsieve.home}
 * (models, cascades, the registry runner and the default data folder are found relative to it).
 */
final class SieveHome {
    private SieveHome() {
    }

    static Path path() {
        return Path.of(System.getProperty("sieve.home", ".")).toAbsolutePath().normalize();
    }
}
