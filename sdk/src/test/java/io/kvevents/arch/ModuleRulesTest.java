package io.kvevents.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The SDK's module rule (docs/architecture.md): internal code depends on the public package's value types only —
 * records, enums, sealed data interfaces, exceptions and the pure BlockHashes helpers — never on its facades
 * (EventStream, PrefixIndex, ClusterMigration, …), which wire the internals together.
 */
class ModuleRulesTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.kvevents");

    private static final DescribedPredicate<JavaClass> SDK_FACADE = new DescribedPredicate<>(
            "are io.kvevents.sdk classes other than its value types") {
        @Override
        public boolean test(JavaClass c) {
            if (!c.getPackageName().equals("io.kvevents.sdk")) {
                return false;
            }
            boolean record = c.getRawSuperclass().map(s -> s.getName().equals("java.lang.Record")).orElse(false);
            boolean exception = c.isAssignableTo(Throwable.class);
            return !(record || c.isEnum() || c.isInterface() || exception || c.getSimpleName().equals("BlockHashes"));
        }
    };

    @Test
    void internalCodeDependsOnlyOnTheSdksValueTypes() {
        noClasses().that().resideInAPackage("io.kvevents.internal..")
                .should().dependOnClassesThat(SDK_FACADE)
                .check(CLASSES);
    }
}
