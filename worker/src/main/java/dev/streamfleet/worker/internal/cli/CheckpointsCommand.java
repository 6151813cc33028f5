package dev.streamfleet.worker.internal.cli;

import dev.streamfleet.checkpoint.Checkpoint;
import dev.streamfleet.core.Position;
import dev.streamfleet.core.PositionCodec;
import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.config.ConfigException;

import java.util.ArrayList;
import java.util.concurrent.Callable;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code streamfleet checkpoints list|reset}: inspect or move the positions of a fleet's units. */
@Command(name = "checkpoints", mixinStandardHelpOptions = true, description = "Lists or resets the fleet's positions.",
        subcommands = {CheckpointsCommand.List.class, CheckpointsCommand.Reset.class, CheckpointsCommand.Adopt.class})
public final class CheckpointsCommand {

    /** {@code checkpoints list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists every unit's checkpoint row.")
    static final class List implements Callable<Integer> {
        @Mixin
        ConfigOptions options = new ConfigOptions();

        @Option(names = "--output", defaultValue = "text", description = "text (default), or json: an array of rows, each"
                + " with unit, state, position (as `checkpoints reset --to` takes it: the last record checkpointed, or"
                + " the starting point the unit reads from while none is; null when the row names none), finishedBeyond"
                + " (how many records after the position are processed already and will not be delivered again),"
                + " epoch and owner (null when unclaimed); a row this build does not trust has state QUARANTINED and"
                + " 'quarantined', the attribute and value that do not parse.")
        StatusCommand.Output output = StatusCommand.Output.text;

        @Override
        public Integer call() {
            try (FleetConnections fleet = FleetConnections.open(options.load())) {
                java.util.List<Checkpoint> rows = fleet.store.list();
                if (output == StatusCommand.Output.json) {
                    System.out.println(json(rows));
                    return 0;
                }
                for (Checkpoint row : rows) {
                    System.out.println(text(row));
                }
            }
            return 0;
        }

        static String text(Checkpoint row) {
            if (row.isQuarantined()) {
                return String.format("%-48s QUARANTINED %s", row.unit(), row.quarantined().get());
            }
            String position = row.position().map(PositionCodec::encode).orElse("-")
                    + (row.finished().isEmpty() ? "" : " (+" + row.finished().count() + " finished beyond)");
            return String.format("%-48s %-7s %-60s epoch %s owner %s", row.unit(), row.state(), position,
                    row.epoch().map(Object::toString).orElse("-"), row.owner().orElse("-"));
        }

        static String json(java.util.List<Checkpoint> rows) {
            com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
            com.fasterxml.jackson.databind.node.ArrayNode array = mapper.createArrayNode();
            for (Checkpoint row : rows) {
                com.fasterxml.jackson.databind.node.ObjectNode node = array.addObject().put("unit", row.unit().toString())
                        .put("state", row.isQuarantined() ? "QUARANTINED" : row.state().name())
                        .put("position", row.position().map(PositionCodec::encode).orElse(null))
                        .put("finishedBeyond", row.finished().count())
                        .put("epoch", row.epoch().map(Object::toString).orElse(null))
                        .put("owner", row.owner().orElse(null));
                row.quarantined().ifPresent(reason -> node.put("quarantined", reason));
            }
            try {
                return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(array);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("cannot write the rows as JSON", e);
            }
        }
    }

    /** {@code checkpoints adopt}. */
    @Command(name = "adopt", mixinStandardHelpOptions = true,
            description = "After ZooKeeper was rebuilt empty: lets the fleet claim the units whose rows were claimed under"
                    + " the old ZooKeeper history, keeping their positions. Without --yes it prints the plan.")
    static final class Adopt implements Callable<Integer> {
        @Mixin
        ConfigOptions options = new ConfigOptions();

        @Option(names = "--yes", description = "Apply the plan.")
        boolean yes;

        @Override
        public Integer call() {
            try (FleetConnections fleet = FleetConnections.open(options.load())) {
                String current = fleet.zookeeper.fencingDomain().orElse("(none yet)");
                java.util.List<Checkpoint> foreign = fleet.store.list().stream()
                        .filter(row -> row.epoch().isPresent() && !row.epoch().get().domain().equals(current)).toList();
                System.out.println("this ZooKeeper's fencing domain: " + current);
                for (Checkpoint row : foreign) {
                    System.out.printf("%s: claimed under %s at %s; adopt keeping that position%n", row.unit(),
                            row.epoch().get().domain(), row.position().map(PositionCodec::encode).orElse("-"));
                }
                if (foreign.isEmpty()) {
                    System.out.println("every claimed unit belongs to this ZooKeeper history; nothing to adopt");
                } else if (!yes) {
                    System.out.println("nothing changed; add --yes to apply");
                } else {
                    foreign.forEach(row -> fleet.store.clearClaim(row.unit()));
                    System.out.println(foreign.size() + " units adopted");
                }
            }
            return 0;
        }
    }

    /** Which units a reset applies to. */
    static final class Target {
        @Option(names = "--unit", required = true, description = "One unit, such as kinesis/orders/shardId-000000000001.")
        String unit;

        @Option(names = "--source", required = true,
                description = "Every unit of a stream or topic that has a checkpoint row, such as orders.")
        String source;
    }

    /** {@code checkpoints reset}. */
    @Command(name = "reset", mixinStandardHelpOptions = true,
            description = "Moves units to TRIM_HORIZON, LATEST, AT_TIMESTAMP:<instant> or a position (seq:<n>, offset:<n>)."
                    + " Works while the fleet runs: the owning worker restarts the unit from the new position within"
                    + " seconds. Without --yes it prints the plan and changes nothing.")
    static final class Reset implements Callable<Integer> {
        @Mixin
        ConfigOptions options = new ConfigOptions();

        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;

        @Option(names = "--to", required = true, description = "The new position.")
        String to;

        @Option(names = "--yes", description = "Apply the plan.")
        boolean yes;

        @Override
        public Integer call() {
            Position position;
            try {
                position = PositionCodec.decode(to);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("--to: " + e.getMessage());
            }
            try (FleetConnections fleet = FleetConnections.open(options.load())) {
                java.util.List<UnitId> units = units(fleet);
                if (units.isEmpty()) {
                    throw new ConfigException("--source " + target.source + ": no unit of that source has a checkpoint row");
                }
                for (UnitId unit : units) {
                    java.util.Optional<Checkpoint> row = fleet.store.read(unit);
                    String current = row.flatMap(Checkpoint::quarantined).map(reason -> "(quarantined: " + reason + ")")
                            .orElseGet(() -> row.flatMap(Checkpoint::position).map(PositionCodec::encode).orElse("-"));
                    System.out.printf("%s: %s -> %s%n", unit, current, PositionCodec.encode(position));
                }
                if (!yes) {
                    System.out.println("nothing changed; add --yes to apply");
                    return 0;
                }
                for (UnitId unit : units) {
                    try {
                        fleet.store.reset(unit, position);
                    } catch (IllegalArgumentException e) {
                        throw new ConfigException("--to: " + e.getMessage());
                    }
                    boolean running = fleet.zookeeper.restartUnit(fleet.config.application(), unit);
                    System.out.printf("%s: reset%s%n", unit, running ? "; its worker restarts it from there" : "");
                }
            }
            return 0;
        }

        private java.util.List<UnitId> units(FleetConnections fleet) {
            if (target.unit != null) {
                try {
                    return java.util.List.of(UnitId.parse(target.unit));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException("--unit: " + e.getMessage());
                }
            }
            java.util.List<UnitId> units = new ArrayList<>();
            for (Checkpoint row : fleet.store.list()) {
                if (row.unit().stream().equals(target.source)) {
                    units.add(row.unit());
                }
            }
            return units;
        }
    }

}
