package dev.streamfleet.worker.internal.setup;

import java.util.Optional;

import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;

/** The region the AWS SDK finds by itself: {@code AWS_REGION}, the profile, the instance's metadata. */
public final class AwsRegion {

    private AwsRegion() {
    }

    public static Optional<String> fromDefaultChain() {
        try {
            return Optional.of(new DefaultAwsRegionProviderChain().getRegion().id());
        } catch (SdkClientException e) {
            return Optional.empty();
        }
    }
}
