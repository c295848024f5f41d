package io.sieve.ui;

import java.net.URI;
import java.util.Locale;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * Keeps other web sites out of the UI. Binding to loopback does not: any page the operator opens
 * can post to 127.0.0.1, and a DNS-rebinding page can even read the answers. So every request must
 * name this server in its Host header (a rebinding page names its own host), and a request that
 * changes something (start, abort) must not come from a page of another origin: browsers send
 * {@code Origin} (and {@code Sec-Fetch-Site}) with such requests; tools like curl send neither and
 * are let through.
 */
final class RequestGuard {
    private static final Set<String> LOOPBACK_NAMES = Set.of("127.0.0.1", "localhost", "[::1]", "::1");
    private static final Set<String> WILDCARDS = Set.of("0.0.0.0", "::", "[::]");

    private final String boundHost;
    private final IntSupplier port;

    /** @param boundHost the address the server listens on; @param port its port (known once it is bound) */
    RequestGuard(String boundHost, IntSupplier port) {
        this.boundHost = boundHost.toLowerCase(Locale.ROOT);
        this.port = port;
    }

    /** Why the request must be refused, or null if it may go on. */
    String refusal(String method, String hostHeader, String origin, String fetchSite) {
        if (hostHeader == null || !isThisServer(hostHeader)) {
            return "Host '" + hostHeader + "' is not this server";
        }
        boolean changes = !("GET".equals(method) || "HEAD".equals(method) || "OPTIONS".equals(method));
        if (!changes) {
            return null;
        }
        if ("cross-site".equals(fetchSite) || "same-site".equals(fetchSite)) {
            return "a " + method + " from another site is not accepted";
        }
        if (origin != null && !origin.equalsIgnoreCase("http://" + hostHeader)) {
            return "a " + method + " from origin '" + origin + "' is not accepted; only pages of http://" + hostHeader + " may";
        }
        return null;
    }

    private boolean isThisServer(String hostHeader) {
        URI uri;
        try {
            uri = URI.create("http://" + hostHeader);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (uri.getHost() == null || uri.getUserInfo() != null || (uri.getPath() != null && !uri.getPath().isEmpty())) {
            return false;
        }
        int given = uri.getPort() < 0 ? 80 : uri.getPort();
        if (given != port.getAsInt()) {
            return false;
        }
        String name = uri.getHost().toLowerCase(Locale.ROOT);
        if (WILDCARDS.contains(boundHost)) {
            return true;
        }
        return name.equals(boundHost) || (LOOPBACK_NAMES.contains(boundHost) && LOOPBACK_NAMES.contains(name));
    }
}
