package dev.graft.server;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of docs/architecture.md, enforced: the core, the engine glue, inference and the
 * scheduler know nothing of gRPC, protobuf or the generated API (only {@code api} and {@code http}
 * translate); nothing below {@code app} reaches up into it; plugins see the SPI, never the server.
 */
class ArchitectureTest {
  private static JavaClasses server;
  private static JavaClasses plugins;

  @BeforeAll
  static void load() {
    ClassFileImporter importer = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS);
    server = importer.importPackages("dev.graft.server");
    plugins = importer.importPackages("dev.graft.plugins");
  }

  @Test
  void theCoreAndItsNeighboursNeverSeeTheTransport() {
    noClasses().that().resideInAnyPackage("dev.graft.server.core..", "dev.graft.server.engine..",
            "dev.graft.server.inference..", "dev.graft.server.scheduler..")
        .should().dependOnClassesThat().resideInAnyPackage("io.grpc..", "com.google.protobuf..", "dev.graft.api..",
            "inference..")
        .because("only api and http translate between the wire and the core (docs/architecture.md)")
        .check(server);
  }

  @Test
  void nothingReachesUpIntoTheApplicationOrTheEdges() {
    noClasses().that().resideInAnyPackage("dev.graft.server.core..", "dev.graft.server.engine..",
            "dev.graft.server.inference..", "dev.graft.server.scheduler..", "dev.graft.server.security..",
            "dev.graft.server.telemetry..")
        .should().dependOnClassesThat().resideInAnyPackage("dev.graft.server.app..", "dev.graft.server.api..",
            "dev.graft.server.http..")
        .because("dependencies point down: app wires, api and http call in, nothing below calls back")
        .check(server);
  }

  @Test
  void theStoreInterfacesAndTheLocalStoreDoNotDependOnTheJobLayer() {
    noClasses().that().resideInAPackage("dev.graft.server.core.store")
        .should().dependOnClassesThat().resideInAnyPackage("dev.graft.server.core.jobs..",
            "dev.graft.server.engine..", "dev.graft.server.inference..")
        .because("core/store holds records and their persistence; the job layer builds on it (the shared"
            + " store's SqlJobRelay, in core/store/sql, implements the job layer's JobRelay)")
        .check(server);
  }

  @Test
  void pluginsSeeTheSpiNotTheServer() {
    noClasses().should().dependOnClassesThat().resideInAPackage("dev.graft.server..")
        .because("plugins are built against the SPI alone and loaded in their own class loaders")
        .check(plugins);
  }
}
