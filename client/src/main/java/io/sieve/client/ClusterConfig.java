package io.sieve.client;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Which Kafka cluster and schema registry a command talks to, the Kafka client properties (TLS,
 * SASL, Kafka Streams settings, ...) it passes through untouched, and Sieve's own settings (keys
 * starting with {@code sieve.}). Sources, later ones winning: built-in defaults (the embedded
 * platform), a properties file, then environment variables:
 * <ul>
 *   <li>{@code SIEVE_BOOTSTRAP_SERVERS}, {@code SIEVE_REGISTRY_URL};</li>
 *   <li>{@code SIEVE_KAFKA_<NAME>} for any Kafka client property, e.g. {@code SIEVE_KAFKA_SECURITY_PROTOCOL=SASL_SSL}
 *   becomes {@code security.protocol=SASL_SSL};</li>
 *   <li>any other {@code SIEVE_<NAME>} for a Sieve setting, e.g. {@code SIEVE_STAGES=1} becomes {@code sieve.stages=1}.</li>
 * </ul>
 */
public record ClusterConfig(String bootstrapServers, String registryUrl, Map<String, String> clientProperties,
                            Map<String, String> settings) {
    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String REGISTRY_URL = "schema.registry.url";
    public static final String ENV_BOOTSTRAP = "SIEVE_BOOTSTRAP_SERVERS";
    public static final String ENV_REGISTRY = "SIEVE_REGISTRY_URL";
    public static final String ENV_KAFKA_PREFIX = "SIEVE_KAFKA_";

    public static final String SETTING_PREFIX = "sieve.";

    public ClusterConfig {
        clientProperties = Map.copyOf(clientProperties);
        settings = Map.copyOf(settings);
    }

    /** Where the embedded platform ({@code ./sieve platform start}) listens by default. */
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";
    public static final String DEFAULT_REGISTRY_URL = "http://127.0.0.1:8081/apis/ccompat/v7";

    public static ClusterConfig embeddedDefaults() {
        return of(DEFAULT_BOOTSTRAP_SERVERS, DEFAULT_REGISTRY_URL);
    }

    /** A cluster with no extra client properties and no Sieve settings. */
    public static ClusterConfig of(String bootstrapServers, String registryUrl) {
        return new ClusterConfig(bootstrapServers, registryUrl, Map.of(), Map.of());
    }

    /** Loads the configuration: defaults, then {@code file} if given, then {@code env}. */
    public static ClusterConfig load(Path file, Map<String, String> env) {
        ClusterConfig defaults = embeddedDefaults();
        Map<String, String> merged = new TreeMap<>();
        merged.put(BOOTSTRAP_SERVERS, defaults.bootstrapServers());
        merged.put(REGISTRY_URL, defaults.registryUrl());
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("configuration file " + file.toAbsolutePath() + " does not exist");
            }
            Properties properties = new Properties();
            try (Reader in = Files.newBufferedReader(file)) {
                properties.load(in);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read configuration file " + file + ": " + e.getMessage(), e);
            }
            properties.stringPropertyNames().forEach(k -> merged.put(k, properties.getProperty(k).trim()));
        }
        env.forEach((name, value) -> {
            if (name.equals(ENV_BOOTSTRAP)) {
                merged.put(BOOTSTRAP_SERVERS, value);
            } else if (name.equals(ENV_REGISTRY)) {
                merged.put(REGISTRY_URL, value);
            } else if (name.startsWith(ENV_KAFKA_PREFIX) && name.length() > ENV_KAFKA_PREFIX.length()) {
                merged.put(name.substring(ENV_KAFKA_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            } else if (name.startsWith("SIEVE_") && name.length() > "SIEVE_".length()) {
                merged.put(SETTING_PREFIX + name.substring("SIEVE_".length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        Map<String, String> settings = new TreeMap<>();
        merged.keySet().removeIf(key -> {
            if (key.startsWith(SETTING_PREFIX)) {
                settings.put(key, merged.get(key));
                return true;
            }
            return false;
        });
        String bootstrap = merged.remove(BOOTSTRAP_SERVERS);
        String registry = merged.remove(REGISTRY_URL);
        if (bootstrap.isBlank()) {
            throw new IllegalArgumentException("bootstrap.servers is empty");
        }
        if (!registry.startsWith("http://") && !registry.startsWith("https://")) {
            throw new IllegalArgumentException("schema.registry.url must be an http(s) URL, got '" + registry + "'");
        }
        return new ClusterConfig(bootstrap, registry, merged, settings);
    }

    /** A Sieve setting ({@code sieve.<name>}), or {@code fallback}. */
    public String setting(String name, String fallback) {
        return settings.getOrDefault(SETTING_PREFIX + name, fallback);
    }

    public ClusterConfig withSetting(String name, String value) {
        Map<String, String> copy = new TreeMap<>(settings);
        copy.put(SETTING_PREFIX + name, value);
        return new ClusterConfig(bootstrapServers, registryUrl, clientProperties, copy);
    }

    /** This configuration with one more Kafka client property (e.g. {@code num.stream.threads}). */
    public ClusterConfig withClientProperty(String name, String value) {
        Map<String, String> copy = new TreeMap<>(clientProperties);
        copy.put(name, value);
        return new ClusterConfig(bootstrapServers, registryUrl, copy, settings);
    }

    /** Properties for a Kafka client of this cluster: bootstrap servers plus every pass-through property. */
    public Map<String, Object> kafkaProperties() {
        Map<String, Object> props = new TreeMap<>(clientProperties);
        props.put(BOOTSTRAP_SERVERS, bootstrapServers);
        return props;
    }
}
