package dev.streamfleet.worker;

import dev.streamfleet.coordinator.UnitDiscovery;
import dev.streamfleet.core.SourceKind;

import java.util.Objects;

/**
 * One configured source of a worker: a Kinesis stream or a Kafka topic, how its units are
 * discovered, and how each unit is read.
 *
 * @param kind      Kinesis or Kafka
 * @param stream    the stream or topic name
 * @param discovery finds its units
 * @param sources   opens a unit's records
 */
public record SourceBinding(SourceKind kind, String stream, UnitDiscovery discovery, RecordSourceFactory sources) {

    public SourceBinding {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(discovery, "discovery");
        Objects.requireNonNull(sources, "sources");
    }
}
