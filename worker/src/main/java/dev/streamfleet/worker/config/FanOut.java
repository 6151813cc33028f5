package dev.streamfleet.worker.config;

import dev.streamfleet.core.PublicApi;
import java.util.Objects;
import java.util.Optional;

/**
 * Reading a stream through enhanced fan-out: a registered stream consumer gets its own 2 MB/s
 * per shard, pushed over SubscribeToShard, instead of sharing the shard's five reads a second.
 *
 * @param consumerName the stream consumer to use, registered when missing
 * @param consumerArn  an existing consumer's ARN, used as it is (nothing is registered); empty to go by name
 */
@PublicApi
public record FanOut(String consumerName, Optional<String> consumerArn) {

    public FanOut {
        Objects.requireNonNull(consumerName, "consumerName");
        Objects.requireNonNull(consumerArn, "consumerArn");
        if (consumerName.isBlank() && consumerArn.isEmpty()) {
            throw new IllegalArgumentException("a fan-out reader needs a consumer name or a consumer ARN");
        }
    }

    public static FanOut named(String consumerName) {
        return new FanOut(consumerName, Optional.empty());
    }

    /** How logs and errors name the consumer. */
    public String describe() {
        return consumerArn.orElse(consumerName);
    }
}
