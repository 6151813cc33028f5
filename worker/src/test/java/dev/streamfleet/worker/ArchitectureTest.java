package dev.streamfleet.worker;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shape of the code, checked on every build: packages depend on one another in one direction
 * only, and no type of an {@code internal} package appears on a public signature of the API.
 */
class ArchitectureTest {

    /** This module's classes and the checkpoint and coordinator modules' it builds on; no test classes. */
    private static final JavaClasses PRODUCTION = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(location -> !location.contains("-tests.jar") && !location.contains("/test-classes/"))
            .importPackages("dev.streamfleet");

    @Test
    void theImportCoversEveryLibraryModule() {
        for (String module : List.of("dev.streamfleet.worker", "dev.streamfleet.coordinator", "dev.streamfleet.checkpoint")) {
            assertThat(PRODUCTION.stream().filter(c -> c.getPackageName().startsWith(module)).count())
                    .as("classes of %s imported: a rule over nothing would pass on nothing", module).isGreaterThan(20);
        }
        assertThat(PRODUCTION.stream().map(JavaClass::getName)).as("no test class").noneMatch(n -> n.endsWith("Test"));
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("dev.streamfleet.(**)").should().beFreeOfCycles().check(PRODUCTION);
    }

    @Test
    void noInternalTypeOnAPublicSignatureOfTheApi() {
        classes().that().arePublic().and().resideOutsideOfPackage("..internal..")
                .should(exposeNoInternalType()).check(PRODUCTION);
    }

    private static ArchCondition<JavaClass> exposeNoInternalType() {
        return new ArchCondition<>("expose no type of an internal package on a public or protected member") {
            @Override
            public void check(JavaClass owner, ConditionEvents events) {
                for (JavaCodeUnit member : owner.getCodeUnits()) {
                    if (!visible(member.getModifiers())) {
                        continue;
                    }
                    List<JavaClass> types = new ArrayList<>(member.getRawParameterTypes());
                    types.add(member.getRawReturnType());
                    for (JavaClass type : types) {
                        if (isInternal(type)) {
                            events.add(SimpleConditionEvent.violated(owner, member.getFullName() + " names "
                                    + type.getName()));
                        }
                    }
                }
                for (JavaField field : owner.getFields()) {
                    if (visible(field.getModifiers()) && isInternal(field.getRawType())) {
                        events.add(SimpleConditionEvent.violated(owner, field.getFullName() + " is of "
                                + field.getRawType().getName()));
                    }
                }
            }
        };
    }

    private static boolean visible(java.util.Set<JavaModifier> modifiers) {
        return modifiers.contains(JavaModifier.PUBLIC) || modifiers.contains(JavaModifier.PROTECTED);
    }

    private static final DescribedPredicate<JavaClass> INTERNAL = DescribedPredicate.describe("internal",
            type -> type.getPackageName().contains(".internal"));

    private static boolean isInternal(JavaClass type) {
        JavaClass base = type.isArray() ? type.getBaseComponentType() : type;
        return base.getPackageName().startsWith("dev.streamfleet") && INTERNAL.test(base);
    }
}
