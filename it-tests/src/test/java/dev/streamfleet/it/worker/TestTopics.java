package dev.streamfleet.it.worker;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

import static org.awaitility.Awaitility.await;

/** Kafka topics for tests, created with a unique name and ready to take records. */
public final class TestTopics {

    private TestTopics() {
    }

    public static String create(String bootstrap, String prefix, int partitions) throws Exception {
        String topic = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
            awaitLeaders(admin, topic);
        }
        return topic;
    }

    /**
     * Deletes the topic and creates it again under the same name, empty: its partitions start at
     * offset 0 again (and the topic has a new id), as after an operator's delete and create.
     */
    public static void recreate(String bootstrap, String topic, int partitions) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            // The broker refuses the name (TopicExistsException) until the deletion has gone through.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
                admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(10, TimeUnit.SECONDS);
                return true;
            });
            awaitLeaders(admin, topic);
        }
    }

    private static void awaitLeaders(Admin admin, String topic) {
        // Producing before every partition has a leader can lose records to NotLeaderOrFollower.
        await().atMost(Duration.ofSeconds(30)).until(() -> admin.describeTopics(List.of(topic)).allTopicNames()
                .get(10, TimeUnit.SECONDS).get(topic).partitions().stream()
                .allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
    }
}
