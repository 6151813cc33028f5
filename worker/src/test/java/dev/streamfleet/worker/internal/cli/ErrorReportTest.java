package dev.streamfleet.worker.internal.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorReportTest {

    @Test
    void aMissingClassIsNamedWithAHintAndItsTraceGoesToAFileNotTheLine() throws IOException {
        ErrorReport report = ErrorReport.write(new NoClassDefFoundError("org/yaml/snakeyaml/error/YAMLException"));

        String line = report.summary();
        assertThat(line).startsWith("NoClassDefFoundError: org/yaml/snakeyaml/error/YAMLException")
                .contains("the installation looks broken").contains("STREAMFLEET_CLASSPATH")
                .doesNotContain("\n").doesNotContain("\tat ");
        assertThat(report.traceFile()).isPresent();
        assertThat(line).endsWith("stack trace in " + report.traceFile().get());
        assertThat(Files.readString(report.traceFile().get())).contains("NoClassDefFoundError").contains("\tat ");
        Files.delete(report.traceFile().get());
    }

    @Test
    void anErrorThatIsNotABrokenInstallationNamesItsCauseWithoutTheHint() {
        ErrorReport report = new ErrorReport(new ExceptionInInitializerError(new IllegalStateException("bad\nstate")),
                Optional.empty());

        assertThat(report.summary()).isEqualTo("ExceptionInInitializerError (caused by IllegalStateException: bad state)");
    }
}
