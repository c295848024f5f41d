package io.sieve.ui;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestGuardTest {
    private final RequestGuard loopback = new RequestGuard("127.0.0.1", () -> 8080);

    @Test
    void pagesOfThisServerAndToolsWithoutAnOriginMayStartAndAbortQueries() {
        assertThat(loopback.refusal("POST", "127.0.0.1:8080", "http://127.0.0.1:8080", "same-origin")).isNull();
        assertThat(loopback.refusal("POST", "localhost:8080", "http://localhost:8080", null)).isNull();
        assertThat(loopback.refusal("POST", "127.0.0.1:8080", null, null)).as("curl").isNull();
        assertThat(loopback.refusal("GET", "127.0.0.1:8080", "http://evil.example", "cross-site")).as("reads carry no effect").isNull();
    }

    @Test
    void aPostFromAnotherOriginIsRefused() {
        assertThat(loopback.refusal("POST", "127.0.0.1:8080", "http://evil.example", null)).contains("evil.example");
        assertThat(loopback.refusal("POST", "127.0.0.1:8080", "null", null)).isNotNull();
        assertThat(loopback.refusal("POST", "127.0.0.1:8080", null, "cross-site")).contains("another site");
        assertThat(loopback.refusal("POST", "127.0.0.1:8080", "http://127.0.0.1:9999", null)).isNotNull();
    }

    @Test
    void aForeignHostHeaderIsRefusedForEveryRequest() {
        // A DNS-rebinding page reaches 127.0.0.1 under its own name, which it cannot hide from the Host header.
        assertThat(loopback.refusal("GET", "rebind.evil.example:8080", null, null)).contains("not this server");
        assertThat(loopback.refusal("GET", "127.0.0.1:8081", null, null)).isNotNull();
        assertThat(loopback.refusal("GET", null, null, null)).isNotNull();
        assertThat(loopback.refusal("GET", "127.0.0.1:8080/path", null, null)).isNotNull();
        assertThat(loopback.refusal("GET", "user@127.0.0.1:8080", null, null)).isNotNull();
    }

    @Test
    void aServerBoundToAllInterfacesTakesAnyHostNameButStillRefusesForeignOrigins() {
        RequestGuard everywhere = new RequestGuard("0.0.0.0", () -> 8080);
        assertThat(everywhere.refusal("GET", "sieve.lan:8080", null, null)).isNull();
        assertThat(everywhere.refusal("POST", "sieve.lan:8080", "http://sieve.lan:8080", null)).isNull();
        assertThat(everywhere.refusal("POST", "sieve.lan:8080", "http://evil.example", null)).isNotNull();
    }
}
