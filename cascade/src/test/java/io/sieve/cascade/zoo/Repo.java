package io.sieve.cascade.zoo;

import io.sieve.images.Cifar10;
import io.sieve.images.DataException;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** The repository checkout and the CIFAR-10 data, for tests that use the real model zoo. */
final class Repo {
    private Repo() {
    }

    static Path home() {
        return Path.of(System.getProperty("sieve.home", "..")).toAbsolutePath().normalize();
    }

    /** The CIFAR-10 folder; skips the calling test, saying why, when there is none. */
    static Path cifarOrSkip() {
        try {
            return Cifar10.locate(Cifar10.defaultLocations(home(), System.getenv()));
        } catch (DataException e) {
            Assumptions.abort("skipped: " + e.getMessage());
            throw e;
        }
    }
}
