package dev.streamfleet.core;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EpochTest {

    @Test
    void laterZxidIsNewerWithinOneDomain() {
        assertThat(new Epoch("zk-a", 20).isNewerThan(new Epoch("zk-a", 10))).isTrue();
        assertThat(new Epoch("zk-a", 10).isNewerThan(new Epoch("zk-a", 10))).isFalse();
    }

    @Test
    void epochsOfDifferentDomainsDoNotCompare() {
        assertThatThrownBy(() -> new Epoch("zk-new", 5).isNewerThan(new Epoch("zk-old", 900)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("zk-old");
    }

    @Test
    void anEpochReadsAsItsDomainAndValue() {
        assertThat(new Epoch("zk-a", 42)).hasToString("zk-a:42");
    }
}
