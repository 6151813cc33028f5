package dev.streamfleet.worker.cli;

/** The streamfleet version, from the jar's manifest when there is one. */
final class Version {

    private Version() {
    }

    static String current() {
        String version = Version.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
