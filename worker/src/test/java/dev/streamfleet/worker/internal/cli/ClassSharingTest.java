package dev.streamfleet.worker.internal.cli;

import dev.streamfleet.worker.internal.cli.ClassSharing.State;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ClassSharingTest {

    private static final String ARCHIVE = "/opt/streamfleet/cds/worker-1.jsa";

    @Test
    void anArchiveTheJvmRefusedIsReportedAsSuchNotAsInUse() {
        ClassSharing refused = ClassSharing.of(Map.of(ClassSharing.ARCHIVE, ARCHIVE, ClassSharing.MODE, "use",
                "java.vm.info", "mixed mode"));
        ClassSharing mapped = ClassSharing.of(Map.of(ClassSharing.ARCHIVE, ARCHIVE, ClassSharing.MODE, "use",
                "java.vm.info", "mixed mode, emulated-client, sharing"));

        assertThat(refused.state()).isEqualTo(State.NOT_MAPPED);
        assertThat(refused.archive()).contains(Path.of(ARCHIVE));
        assertThat(mapped.state()).isEqualTo(State.IN_USE);
    }

    @Test
    void aWorkerWithoutAnArchiveTrainsOnlyWhenTheLauncherGaveItAClassList() {
        ClassSharing training = ClassSharing.of(Map.of(ClassSharing.ARCHIVE, ARCHIVE, ClassSharing.MODE, "train",
                ClassSharing.CLASS_LIST, ARCHIVE + ".42.classlist"));
        ClassSharing noList = ClassSharing.of(Map.of(ClassSharing.ARCHIVE, ARCHIVE, ClassSharing.MODE, "train"));

        assertThat(training.state()).isEqualTo(State.TRAINING);
        assertThat(training.classList()).contains(Path.of(ARCHIVE + ".42.classlist"));
        assertThat(noList.state()).isEqualTo(State.OFF);
    }

    @Test
    void anArchiveThatCannotBeWrittenIsReportedRatherThanEveryStartStayingColdUnnoticed() {
        ClassSharing unwritable = ClassSharing.of(Map.of(ClassSharing.ARCHIVE, ARCHIVE, ClassSharing.MODE, "unwritable"));

        assertThat(unwritable.state()).isEqualTo(State.UNWRITABLE);
        assertThat(unwritable.archive()).contains(Path.of(ARCHIVE));
    }

    @Test
    void aJvmNotStartedByTheLauncherDoesNothingAboutSharing() {
        assertThat(ClassSharing.of(Map.of("java.vm.info", "mixed mode, sharing")).state()).isEqualTo(State.OFF);
    }

    @Test
    void theArchiveIsBuiltFromTheLeadingJarsSoThatAnAddedDirectoryCannotBreakTheBuild() {
        Set<String> jars = Set.of("/i/lib/a.jar", "/i/lib/b.jar", "/p/processor.jar");

        String classPath = String.join(":", "/i/lib/a.jar", "/i/lib/b.jar", "/p/classes", "/p/processor.jar");
        String missing = String.join(":", "/i/lib/a.jar", "/gone.jar", "/p/processor.jar");

        assertThat(ClassSharing.dumpClasspath(classPath, path -> jars.contains(path.toString())))
                .isEqualTo("/i/lib/a.jar:/i/lib/b.jar");
        assertThat(ClassSharing.dumpClasspath(missing, path -> jars.contains(path.toString()))).isEqualTo("/i/lib/a.jar");
        assertThat(ClassSharing.dumpClasspath("/p/classes:/i/lib/a.jar", path -> true)).isEmpty();
    }

    @Test
    void aClassListCopiedWhileTheJvmWritesItKeepsOnlyWholeLines() {
        byte[] text = "java/lang/Object\ndev/streamfleet/wor".getBytes(StandardCharsets.UTF_8);

        assertThat(new String(ClassArchiveBuilder.wholeLines(text), StandardCharsets.UTF_8)).isEqualTo("java/lang/Object\n");
        assertThat(ClassArchiveBuilder.wholeLines(new byte[0])).isEmpty();
    }
}
