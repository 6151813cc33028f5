package dev.streamfleet.worker.internal.processors;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.worker.Checkpointer;
import dev.streamfleet.worker.ProcessorOptions;
import dev.streamfleet.worker.RecordBatch;
import dev.streamfleet.worker.RecordProcessor;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BuiltInProcessorsTest {

    private static final WorkerId WORKER = WorkerId.of("w1");

    /** A user processor found by class name. */
    public static final class Counting implements RecordProcessor {
        @Override
        public void process(RecordBatch batch, Checkpointer checkpointer) {
        }
    }

    /** A user processor that takes its options. */
    public static final class Tagging implements RecordProcessor {
        final String tag;
        final String file;

        public Tagging(ProcessorOptions options) {
            this.tag = options.require("tag");
            this.file = options.get("file", "none");
        }

        @Override
        public void process(RecordBatch batch, Checkpointer checkpointer) {
        }
    }

    @Test
    void aProcessorClassGetsItsOptionsWithTheWorkerIdFilledIn() {
        var factory = BuiltInProcessors.resolve(Tagging.class.getName(), Map.of("tag", "orders", "file", "/data/{worker}.out"),
                WORKER);

        Tagging processor = (Tagging) factory.create(dev.streamfleet.core.UnitId.kafka("t", 0));

        assertThat(processor.tag).isEqualTo("orders");
        assertThat(processor.file).isEqualTo("/data/w1.out");
    }

    @Test
    void aMissingRequiredOptionStopsTheStartNamingIt() {
        assertThatThrownBy(() -> BuiltInProcessors.resolve(Tagging.class.getName(), Map.of(), WORKER))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("processor class " + Tagging.class.getName() + ": processor option 'tag' is required"
                        + " (processor.options.tag)");
    }

    @Test
    void optionsGivenToAProcessorThatTakesNoneAreReportedNotSilentlyDropped() {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                BuiltInProcessors.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            var factory = BuiltInProcessors.resolve(Counting.class.getName(), Map.of("batch", "10"), WORKER);

            assertThat(factory.create(dev.streamfleet.core.UnitId.kafka("t", 0))).isInstanceOf(Counting.class);
            assertThat(logged.list).singleElement().satisfies(event -> {
                assertThat(event.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
                assertThat(event.getFormattedMessage()).contains(Counting.class.getName()).contains("takes no options")
                        .contains("[batch]");
            });
        } finally {
            logger.detachAppender(logged);
        }
    }

    @Test
    void unknownNameSaysWhatIsAccepted() {
        assertThatThrownBy(() -> BuiltInProcessors.resolve("com.example.Missing", Map.of(), WORKER))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("processor 'com.example.Missing' is neither log, jsonl nor a class on the classpath")
                .hasMessageContaining("ext/");
    }

    @Test
    void jsonlWithoutAPathNamesTheMissingOption() {
        assertThatThrownBy(() -> BuiltInProcessors.resolve("jsonl", Map.of(), WORKER))
                .hasMessageContaining("option 'path'");
    }

    @Test
    void jsonlPathGivesEachWorkerItsOwnFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var factory = BuiltInProcessors.resolve("jsonl", Map.of("path", dir.resolve("out-{worker}.jsonl").toString()), WORKER);
        dev.streamfleet.core.UnitId unit = dev.streamfleet.core.UnitId.kafka("t", 0);

        factory.create(unit).process(new RecordBatch(unit, java.util.List.of(new dev.streamfleet.worker.StreamRecord(unit,
                new dev.streamfleet.core.Position.Offset(1), "k", new byte[] {65}, java.time.Instant.EPOCH)),
                java.util.OptionalLong.empty(), java.util.OptionalLong.empty()), null);

        assertThat(dir.resolve("out-w1.jsonl")).exists();
    }

    @Test
    void classThatIsNoProcessorIsRejected() {
        assertThatThrownBy(() -> BuiltInProcessors.resolve("java.lang.String", Map.of(), WORKER))
                .hasMessageContaining("implements neither RecordProcessor nor RecordProcessorFactory");
    }

    @Test
    void processorClassGetsOneInstancePerUnit() {
        var factory = BuiltInProcessors.resolve(Counting.class.getName(), Map.of(), WORKER);

        RecordProcessor first = factory.create(dev.streamfleet.core.UnitId.kafka("t", 0));
        RecordProcessor second = factory.create(dev.streamfleet.core.UnitId.kafka("t", 1));

        assertThat(first).isInstanceOf(Counting.class).isNotSameAs(second);
    }
}
