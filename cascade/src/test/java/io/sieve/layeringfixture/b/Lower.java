package io.sieve.layeringfixture.b;

import io.sieve.layeringfixture.a.Upper;

/** The other half of the deliberate cycle. */
public final class Lower {
    public Upper upper() {
        return null;
    }
}
