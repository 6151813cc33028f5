package dev.streamfleet.coordinator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Every row of the rule "where does a unit start" (issue 24 item 1). */
class UnitStartTest {

    @ParameterizedTest(name = "row={0} assignedBefore={1} parentRead={2} sourceReadBefore={3} -> {4}")
    @CsvSource(textBlock = """
            # a row always wins: a resumed unit, a seeded one, an operator's reset
            true,  false, false, false, CHECKPOINT
            true,  true,  true,  true,  CHECKPOINT
            true,  false, true,  true,  CHECKPOINT
            # an earlier leader assigned it without a row: it decided the unit is an original
            false, true,  false, false, INITIAL_POSITION
            false, true,  true,  true,  INITIAL_POSITION
            # a child of a shard the application read: created while it ran
            false, false, true,  false, BEGINNING
            false, false, true,  true,  BEGINNING
            # a partition or shard that appeared after the source was first read
            false, false, false, true,  BEGINNING
            # the application's first start of this source
            false, false, false, false, INITIAL_POSITION
            """)
    void unitStartsWhereTheRuleSays(boolean hasRow, boolean assignedBefore, boolean parentRead, boolean sourceReadBefore,
                                    UnitStart expected) {
        assertThat(UnitStart.of(new StartFacts(hasRow, assignedBefore, parentRead, sourceReadBefore))).isEqualTo(expected);
    }

    @Test
    void childShardWrittenBeforeItsFirstReadIsNotSkipped() {
        UnitStart child = UnitStart.of(new StartFacts(false, false, true, true));

        assertThat(child).isEqualTo(UnitStart.BEGINNING);
        assertThat(child.needsSeed()).isTrue();
    }

    @Test
    void partitionAddedWhileTheFleetRunsIsReadFromItsFirstOffset() {
        UnitStart added = UnitStart.of(new StartFacts(false, false, false, true));

        assertThat(added).isEqualTo(UnitStart.BEGINNING);
        assertThat(added.needsSeed()).isTrue();
    }

    @Test
    void unitsOfTheFirstStartAreNotSeededSoTheyUseTheInitialPosition() {
        assertThat(UnitStart.of(new StartFacts(false, false, false, false)).needsSeed()).isFalse();
        assertThat(UnitStart.of(new StartFacts(true, false, true, true)).needsSeed()).isFalse();
    }
}
