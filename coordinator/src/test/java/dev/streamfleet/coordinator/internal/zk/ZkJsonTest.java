package dev.streamfleet.coordinator.internal.zk;

import dev.streamfleet.coordinator.UnitLoad;
import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.coordinator.WorkerInfo;
import dev.streamfleet.core.UnitId;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The znode bodies and names as another version, a tool or an operator may have left them: each
 * is read into the project's types or refused with a message that shows the bad value, never
 * guessed at (an empty assignment, a capacity of 1, a generation of 0).
 */
class ZkJsonTest {

    private static final UnitId A = UnitId.kafka("orders", 0);
    private static final WorkerId W1 = WorkerId.of("w1");

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anAssignmentWrittenByTheLeaderReadsBack() {
        ZkJson.AssignmentNode node = ZkJson.assignment(ZkJson.assignment(7, new TreeSet<>(java.util.List.of(A))));

        assertThat(node.generation()).isEqualTo(7);
        assertThat(node.units()).containsExactly(A);
    }

    @Test
    void anAssignmentOfNoUnitsWithAGenerationIsAnEmptyAssignment() {
        assertThat(ZkJson.assignment(bytes("{\"generation\":3,\"units\":[]}")).units()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{}", "null", "[]", "not json", "{\"units\":[\"kafka/orders/0\"]}",
            "{\"generation\":\"3\",\"units\":[]}", "{\"generation\":1.5,\"units\":[]}", "{\"generation\":-1,\"units\":[]}",
            "{\"generation\":9223372036854775807,\"units\":[]}",
            "{\"generation\":3}", "{\"generation\":3,\"units\":\"kafka/orders/0\"}", "{\"generation\":3,\"units\":{}}",
            "{\"generation\":3,\"units\":[7]}", "{\"generation\":3,\"units\":[\"not a unit\"]}"})
    void anAssignmentWithoutAGenerationOrWithUnitsOfTheWrongTypeIsRefusedNotReadAsNoUnits(String body) {
        assertThatThrownBy(() -> ZkJson.assignment(bytes(body))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("\n");
    }

    @Test
    void aRefusedAssignmentShowsTheValueThatWasFound() {
        assertThatThrownBy(() -> ZkJson.assignment(bytes("{\"units\":[\"kafka/orders/0\"]}")))
                .hasMessageContaining("generation").hasMessageContaining("{\"units\":[\"kafka/orders/0\"]}");
    }

    @Test
    void theAssignmentOfNoNodeAtAllIsRefusedToo() {
        assertThatThrownBy(() -> ZkJson.assignment(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRegistrationWrittenByAWorkerReadsBack() {
        WorkerInfo info = new WorkerInfo(W1, "host-1", "http://10.0.0.7:8080", Instant.parse("2026-12-01T10:00:00Z"),
                "1.0", 3);

        ZkJson.WorkerNode node = ZkJson.worker("w1", ZkJson.worker(info));

        assertThat(node.info()).isEqualTo(info);
        assertThat(node.statusProblem()).isEmpty();
    }

    @Test
    void aRegistrationOfAnOlderWorkerWithoutCapacityCountsAsCapacityOne() {
        ZkJson.WorkerNode node = ZkJson.worker("w1", bytes("{\"id\":\"w1\",\"host\":\"h\",\"statusUrl\":\"\","
                + "\"startedAt\":\"2026-12-01T10:00:00Z\",\"version\":\"0.9\"}"));

        assertThat(node.info().capacity()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"not a url", "ftp://10.0.0.7/", "file:///etc/passwd", "http://", "10.0.0.7:8080",
            "http://10.0.0.7:8080/?q=1", "http://[::1"})
    void aStatusUrlThatIsNotAnHttpUrlIsDroppedWithAReasonAndTheRestOfTheRegistrationStands(String url) {
        ZkJson.WorkerNode node = ZkJson.worker("w1", bytes("{\"id\":\"w1\",\"host\":\"h\",\"statusUrl\":"
                + new com.fasterxml.jackson.databind.node.TextNode(url) + ",\"startedAt\":\"2026-12-01T10:00:00Z\","
                + "\"version\":\"1.0\",\"capacity\":2}"));

        assertThat(node.info().statusUrl()).isEmpty();
        assertThat(node.info().capacity()).isEqualTo(2);
        assertThat(node.statusProblem()).hasValueSatisfying(reason -> assertThat(reason).contains(url));
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://10.0.0.7:8080", "https://worker-1.example:443", "HTTP://[::1]:8080", ""})
    void anHttpOrHttpsStatusUrlOrNoneIsKept(String url) {
        ZkJson.WorkerNode node = ZkJson.worker("w1", bytes("{\"id\":\"w1\",\"host\":\"h\",\"statusUrl\":\"" + url
                + "\",\"startedAt\":\"2026-12-01T10:00:00Z\",\"version\":\"1.0\"}"));

        assertThat(node.info().statusUrl()).isEqualTo(url);
        assertThat(node.statusProblem()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{}", "garbage",
            "{\"id\":\"w1\",\"host\":\"h\",\"statusUrl\":\"\",\"startedAt\":\"yesterday\",\"version\":\"1\"}",
            "{\"id\":\"w1\",\"host\":\"h\",\"statusUrl\":\"\",\"startedAt\":\"2026-12-01T10:00:00Z\",\"version\":\"1\",\"capacity\":0}",
            "{\"id\":\"w1\",\"host\":\"h\",\"statusUrl\":\"\",\"startedAt\":\"2026-12-01T10:00:00Z\",\"version\":\"1\",\"capacity\":\"many\"}",
            "{\"id\":\"w2\",\"host\":\"h\",\"statusUrl\":\"\",\"startedAt\":\"2026-12-01T10:00:00Z\",\"version\":\"1\"}",
            "{\"host\":\"h\",\"statusUrl\":\"\",\"startedAt\":\"2026-12-01T10:00:00Z\",\"version\":\"1\"}"})
    void aRegistrationThatCannotBeReadIsRefusedWithItsValue(String body) {
        assertThatThrownBy(() -> ZkJson.worker("w1", bytes(body))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("\n");
    }

    @Test
    void aLeaseReadsBackAndAGarbledOneIsRefused() {
        assertThat(ZkJson.lease(ZkJson.lease(W1, 4))).isEqualTo(new ZkJson.LeaseNode(W1, 4));
        assertThatThrownBy(() -> ZkJson.lease(bytes("{\"workerId\":\"not a worker!\",\"generation\":4}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a worker!");
        assertThatThrownBy(() -> ZkJson.lease(bytes("{\"workerId\":\"w1\",\"generation\":\"four\"}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("four");
    }

    @Test
    void loadsReadBackAndOnesThatAreNotFiniteNonNegativeNumbersAreRefused() {
        Map<UnitId, UnitLoad> loads = Map.of(A, new UnitLoad(0.5, 100, 2000));
        assertThat(ZkJson.loads(ZkJson.loads(loads))).isEqualTo(loads);

        for (String body : new String[] {"{\"units\":{\"kafka/orders/0\":{\"load\":\"heavy\"}}}",
                "{\"units\":{\"kafka/orders/0\":{\"load\":-1}}}", "{\"units\":{\"not a unit\":{\"load\":1}}}",
                "{\"units\":[]}", "[]"}) {
            assertThatThrownBy(() -> ZkJson.loads(bytes(body))).as(body).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aGenerationIsAWholeNonNegativeNumber() {
        assertThat(ZkJson.generation(bytes("12\n"))).isEqualTo(12);
        for (String body : new String[] {"", "twelve", "-3", "1.5", "99999999999999999999", "9223372036854775807"}) {
            assertThatThrownBy(() -> ZkJson.generation(bytes(body))).as(body).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(body);
        }
    }

    @Test
    void theGenerationAfterTheLargestTheNodeHoldsIsOneAnAssignmentCarries() {
        long largest = Long.MAX_VALUE - 2;
        assertThat(ZkJson.generation(bytes(Long.toString(largest)))).isEqualTo(largest);
        assertThat(ZkJson.assignment(ZkJson.assignment(largest + 1, new TreeSet<>())).generation()).isEqualTo(largest + 1);
        assertThatThrownBy(() -> ZkJson.generation(bytes(Long.toString(largest + 1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(Long.toString(largest + 1));
    }

    @Test
    void aFencingDomainIsWhatAnEpochAccepts() {
        assertThat(ZkJson.fencingDomain(bytes("zk-0123456789abcdef"))).isEqualTo("zk-0123456789abcdef");
        for (String body : new String[] {"", "zk 0123", "zk-0123456789abcdef\n", "x".repeat(65), "zk/1"}) {
            assertThatThrownBy(() -> ZkJson.fencingDomain(bytes(body))).as(body)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("\n");
        }
    }

    @Test
    void childNamesAreParsedIntoWorkerIdsAndUnitIdsOrRefused() {
        assertThat(ZkPaths.workerOf("w1")).isEqualTo(W1);
        assertThat(ZkPaths.unitOf("kafka~orders~0")).isEqualTo(A);
        assertThatThrownBy(() -> ZkPaths.workerOf("w 1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("w 1");
        assertThatThrownBy(() -> ZkPaths.unitOf("kafka~orders")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kafka~orders");
        assertThatThrownBy(() -> ZkPaths.unitOf("mqtt~orders~0")).isInstanceOf(IllegalArgumentException.class);
    }
}
