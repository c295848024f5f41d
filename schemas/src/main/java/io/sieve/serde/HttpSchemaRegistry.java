package io.sieve.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A client for the Confluent Schema Registry REST protocol, which Confluent's own registry and
 * Apicurio's {@code /apis/ccompat/v7} both serve. Registrations and look-ups are cached for the
 * life of the client, so the hot path of a serde never touches the network.
 */
public final class HttpSchemaRegistry implements SchemaRegistry {
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONFLICT = 409;
    private static final int REGISTER_ATTEMPTS = 5;

    private final String baseUrl;
    private final HttpClient http;
    private final Duration timeout;
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

    public HttpSchemaRegistry(String baseUrl) {
        this(baseUrl, Duration.ofSeconds(10));
    }

    public HttpSchemaRegistry(String baseUrl, Duration timeout) {
        if (baseUrl == null || baseUrl.isBlank()) {
            throw new IllegalArgumentException("schema registry URL is empty");
        }
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** Fails, naming the URL and the cause, unless the registry answers. */
    public void requireReachable() {
        String url = baseUrl + "/subjects";
        send(HttpRequest.newBuilder(URI.create(url)).GET(), url, "schema registry check failed");
    }

    /**
     * Registers {@code schema} under {@code subject} (idempotent on the server) and returns its global id.
     * Apicurio answers 409, or 500 with a unique-key violation, to the losers of clients creating a new
     * subject or schema at the same moment (stream-app instances starting together); by then it exists,
     * so registering again succeeds. A real outage still fails after the last attempt.
     */
    @Override
    public int register(String subject, Schema schema) {
        String failure = "schema " + schema.getFullName() + " could not be registered under subject " + subject;
        for (int attempt = 1; ; attempt++) {
            try {
                return idFor(subject, schema, "/subjects/" + encode(subject) + "/versions", failure);
            } catch (SchemaRegistryException e) {
                boolean lostARace = e.httpStatus() == CONFLICT || e.httpStatus() >= 500;
                if (!lostARace || attempt == REGISTER_ATTEMPTS) {
                    throw e;
                }
                pause(Duration.ofMillis(50L * attempt));
            }
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("interrupted while registering a schema", e);
        }
    }

    /** The id of {@code schema} already registered under {@code subject}; never registers. */
    @Override
    public int lookup(String subject, Schema schema) {
        return idFor(subject, schema, "/subjects/" + encode(subject), "schema " + schema.getFullName()
                + " is not registered under subject " + subject + " and auto-registration is off");
    }

    private int idFor(String subject, Schema schema, String path, String failure) {
        return idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>())
                .computeIfAbsent(schema, s -> {
                    String url = baseUrl + path;
                    String body = JSON.createObjectNode().put("schema", s.toString()).toString();
                    JsonNode reply = send(HttpRequest.newBuilder(URI.create(url))
                            .POST(HttpRequest.BodyPublishers.ofString(body)), url, failure);
                    int id = reply.path("id").asInt(-1);
                    if (id < 0) {
                        throw new SchemaRegistryException(failure + ": registry at " + url + " answered without an id: " + reply);
                    }
                    schemasById.putIfAbsent(id, s);
                    return id;
                });
    }

    /** The writer schema with global id {@code id}; an unknown id is an error naming it. */
    @Override
    public Schema schemaById(int id) {
        return schemasById.computeIfAbsent(id, i -> {
            String url = baseUrl + "/schemas/ids/" + i;
            JsonNode reply = send(HttpRequest.newBuilder(URI.create(url)).GET(), url, "schema id " + i + " cannot be resolved");
            String text = reply.path("schema").asText(null);
            if (text == null) {
                throw new SchemaRegistryException("schema id " + i + ": registry at " + url + " answered without a schema: " + reply);
            }
            String type = reply.path("schemaType").asText("AVRO");
            if (!"AVRO".equals(type)) {
                throw new SchemaRegistryException("schema id " + i + " is a " + type + " schema, not Avro");
            }
            return new Schema.Parser().parse(text);
        });
    }

    private JsonNode send(HttpRequest.Builder request, String url, String failure) {
        HttpResponse<String> response;
        try {
            response = http.send(request.timeout(timeout)
                            .header("Content-Type", CONTENT_TYPE)
                            .header("Accept", CONTENT_TYPE + ", application/json")
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new SchemaRegistryException("schema registry unreachable at " + url + " (connection refused)", e, true);
        } catch (IOException e) {
            throw new SchemaRegistryException("schema registry unreachable at " + url + ": " + e, e, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("interrupted while calling the schema registry at " + url, e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new SchemaRegistryException(failure + ": registry at " + url + " answered HTTP "
                    + response.statusCode() + ": " + response.body(), response.statusCode());
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new SchemaRegistryException("schema registry at " + url + " answered with invalid JSON: " + response.body(), e);
        }
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8);
    }
}
