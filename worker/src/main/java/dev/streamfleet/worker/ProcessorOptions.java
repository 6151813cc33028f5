package dev.streamfleet.worker;

import dev.streamfleet.core.PublicApi;
import dev.streamfleet.coordinator.WorkerId;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A processor's {@code processor.options} from the configuration, handed to a processor class
 * (or factory class) that has a public constructor taking them. In every value, {@code {worker}}
 * stands for the id of the worker the processor runs on, so that workers on one host can write
 * to files of their own.
 */
@PublicApi
public final class ProcessorOptions {

    private final Map<String, String> values;
    private final WorkerId worker;

    private ProcessorOptions(Map<String, String> values, WorkerId worker) {
        this.values = values;
        this.worker = worker;
    }

    public static ProcessorOptions of(Map<String, String> values, WorkerId worker) {
        Objects.requireNonNull(worker, "worker");
        Map<String, String> resolved = new TreeMap<>();
        values.forEach((name, value) -> resolved.put(name, value.replace("{worker}", worker.value())));
        return new ProcessorOptions(java.util.Collections.unmodifiableMap(resolved), worker);
    }

    /** The option's value; empty when the configuration does not set it. */
    public Optional<String> get(String name) {
        return Optional.ofNullable(values.get(name));
    }

    /** The option's value, or {@code fallback} when the configuration does not set it. */
    public String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    /**
     * The option's value.
     *
     * @throws IllegalArgumentException naming the option when the configuration does not set it or leaves it blank;
     *                                  thrown from a processor's constructor, it stops the worker's start with exit 2
     */
    public String require(String name) {
        String value = values.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("processor option '" + name + "' is required (processor.options." + name + ")");
        }
        return value;
    }

    /** Every option, by name. */
    public Map<String, String> asMap() {
        return values;
    }

    /** The worker the processor runs on. */
    public WorkerId worker() {
        return worker;
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
