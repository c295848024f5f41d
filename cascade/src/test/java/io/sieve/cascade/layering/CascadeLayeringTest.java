package io.sieve.cascade.layering;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

/**
 * The cascade library's layering: its packages form no cycle, the cascade file format sits at the
 * bottom, and nothing in it reaches Kafka, Avro or Sieve's records (the build's enforcer keeps those
 * off its class path too).
 */
class CascadeLayeringTest {
    private static final JavaClasses CASCADE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.sieve.cascade");

    static ArchRule packagesFormNoCycle(String root) {
        return slices().matching(root + ".(*)..").should().beFreeOfCycles();
    }

    static final ArchRule NO_KAFKA_NO_AVRO = noClasses().that().resideInAPackage("io.sieve.cascade..")
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..", "org.apache.avro..", "io.sieve.schemas..",
                    "io.sieve.serde..", "io.sieve.client..");

    static final ArchRule FORMAT_AT_THE_BOTTOM = noClasses().that().resideInAnyPackage("io.sieve.cascade.definition..",
                    "io.sieve.cascade.model..")
            .should().dependOnClassesThat().resideInAnyPackage("io.sieve.cascade.calibration..", "io.sieve.cascade.evaluation..",
                    "io.sieve.cascade.estimate..", "io.sieve.cascade.runtime..", "io.sieve.cascade.filter..");

    @Test
    void cascadePackagesFormNoCycle() {
        packagesFormNoCycle("io.sieve.cascade").check(CASCADE);
    }

    @Test
    void theCascadeLibraryUsesNoKafkaAndNoAvro() {
        NO_KAFKA_NO_AVRO.check(CASCADE);
    }

    @Test
    void theCascadeFileFormatAndTheModelsDependOnNothingAboveThem() {
        FORMAT_AT_THE_BOTTOM.check(CASCADE);
    }

    @Test
    void theCycleRuleFailsOnADeliberateCycle() {
        JavaClasses fixture = new ClassFileImporter().importPackages("io.sieve.layeringfixture");
        assertThatThrownBy(() -> packagesFormNoCycle("io.sieve.layeringfixture").check(fixture))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Cycle detected");
    }
}
