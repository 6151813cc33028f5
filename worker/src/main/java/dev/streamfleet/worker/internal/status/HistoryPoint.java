package dev.streamfleet.worker.internal.status;

import java.time.Instant;
import java.util.OptionalLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One point of a throughput history: a worker's own, or the fleet's sum of them.
 *
 * @param at                 the end of the interval it covers
 * @param recordsPerSecond   records processed per second over the interval
 * @param millisBehindLatest the largest Kinesis lag at {@code at}; empty when no Kinesis shard reported one
 * @param offsetLag          the Kafka records between the fetched offsets and the ends, added up over the
 *                           partitions; empty when no Kafka partition reported one
 */
record HistoryPoint(Instant at, double recordsPerSecond, OptionalLong millisBehindLatest, OptionalLong offsetLag) {

    ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode().put("at", at.toString())
                .put("recordsPerSecond", recordsPerSecond);
        millisBehindLatest.ifPresent(millis -> node.put("maxMillisBehindLatest", millis));
        offsetLag.ifPresent(records -> node.put("offsetLag", records));
        return node;
    }

    /** The point a worker's report carries; empty when it is not one (a worker of another version). */
    static java.util.Optional<HistoryPoint> fromJson(JsonNode node) {
        if (!node.path("at").isTextual() || !node.path("recordsPerSecond").isNumber()) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(new HistoryPoint(Instant.parse(node.path("at").asText()),
                    node.path("recordsPerSecond").asDouble(), optional(node.path("maxMillisBehindLatest")),
                    optional(node.path("offsetLag"))));
        } catch (java.time.format.DateTimeParseException e) {
            return java.util.Optional.empty();
        }
    }

    private static OptionalLong optional(JsonNode value) {
        return value.isNumber() ? OptionalLong.of(value.asLong()) : OptionalLong.empty();
    }
}
