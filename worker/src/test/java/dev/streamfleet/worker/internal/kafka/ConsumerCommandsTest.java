package dev.streamfleet.worker.internal.kafka;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ConsumerCommandsTest {

    private final ConsumerCommands<String> commands = new ConsumerCommands<>();

    @Test
    void aStopAskedWhileACommandIsInHandIsSeenAndNoCommandIsTakenAfterIt() {
        commands.add("assign");
        commands.add("commit");
        assertThat(commands.take()).contains("assign");

        commands.stop();

        assertThat(commands.stopAsked()).isTrue();
        assertThat(commands.take()).as("the stop wins over the commands still waiting").isEmpty();
    }

    @Test
    void takingACommandNeverTakesTheStop() {
        commands.add("assign");
        commands.stop();
        commands.add("late");

        assertThat(commands.take()).isEmpty();
        assertThat(commands.stopAsked()).as("still asked after every take").isTrue();
    }

    @Test
    void commandsAreTakenInTheOrderTheyCame() {
        commands.add("first");
        commands.add("second");

        assertThat(commands.take()).contains("first");
        assertThat(commands.take()).contains("second");
        assertThat(commands.take()).isEmpty();
    }

    @Test
    void aWaitEndsAtOnceWhenAStopWasAskedWithNothingQueued() {
        commands.stop();

        commands.awaitCommand(Duration.ofDays(1));

        assertThat(commands.stopAsked()).isTrue();
    }

    @Test
    void anInterruptedWaitIsAStop() {
        Thread.currentThread().interrupt();
        try {
            commands.awaitCommand(Duration.ofDays(1));
        } finally {
            assertThat(Thread.interrupted()).as("the interrupt is kept").isTrue();
        }
        assertThat(commands.stopAsked()).isTrue();
    }
}
