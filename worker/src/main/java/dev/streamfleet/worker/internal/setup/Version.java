package dev.streamfleet.worker.internal.setup;

/** The streamfleet version, from the jar's manifest when there is one. */
public final class Version {

    private Version() {
    }

    public static String current() {
        String version = Version.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
