package io.sieve.layeringfixture.a;

import io.sieve.layeringfixture.b.Lower;

/** A deliberate package cycle (a -> b -> a), to prove the layering rules catch one. */
public final class Upper {
    public Lower lower() {
        return new Lower();
    }
}
