package dev.streamfleet.it.faults;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Judges a scenario's checkpoints from the writes the workers sent to DynamoDB, as their call
 * recorders saw them, against the records they processed. Three claims of the README: a unit's
 * stored checkpoint never moves backwards; an owner never even tries to move it back; and no
 * accepted checkpoint covers a record that was not processed before the write. Positions are
 * compared as the stream numbers them (a Kinesis sequence number, a Kafka next offset), not by
 * the store's own sort key, so a broken sort key would show here. Pure: no servers, no clocks.
 */
final class CheckpointHistory {

    /** One checkpoint write a worker sent: its position and epoch, and whether DynamoDB accepted it. */
    record Write(String worker, long millis, String unit, String position, long epoch, boolean accepted) {
    }

    /** An accepted claim: the position its row held, where the claimant resumed; empty when none. */
    record Claim(String worker, long millis, String unit, String resumed) {
    }

    private final List<String> findings = new ArrayList<>();
    private final Map<String, List<Write>> acceptedByUnit = new HashMap<>();
    private final List<Claim> claims = new ArrayList<>();
    private int accepted;
    private int checkedCoverage;

    /** Every claim over {@code writes}; {@code lines} are every record any worker processed. */
    CheckpointHistory judge(List<Write> writes, List<DeliveryReport.Line> lines) {
        return judge(writes, List.of(), lines);
    }

    /** As {@link #judge(List, List)}, knowing also where each claimant resumed. */
    CheckpointHistory judge(List<Write> writes, List<Claim> claimed, List<DeliveryReport.Line> lines) {
        claims.addAll(claimed);
        writes.stream().filter(Write::accepted).forEach(w -> acceptedByUnit.computeIfAbsent(w.unit(), u -> new ArrayList<>()).add(w));
        accepted = (int) writes.stream().filter(Write::accepted).count();
        if (accepted == 0) {
            findings.add("no checkpoint write was accepted: the checks on checkpoints saw nothing");
            return this;
        }
        checkNeverBackwards(writes);
        checkNoOwnerTriesToMoveBack(writes);
        checkCoverOnlyProcessedRecords(writes, lines);
        if (checkedCoverage == 0) {
            findings.add("no accepted checkpoint covered a processed record: the check on coverage saw nothing"
                    + " (do the writes' units match the lines' units?)");
        }
        return this;
    }

    /** Accepted writes of a unit, in the order the store took them: by epoch, then time. */
    private void checkNeverBackwards(List<Write> writes) {
        Map<String, List<Write>> byUnit = writes.stream().filter(Write::accepted)
                .collect(Collectors.groupingBy(Write::unit, TreeMap::new, Collectors.toList()));
        byUnit.forEach((unit, ofUnit) -> {
            ofUnit.sort(Comparator.comparingLong(Write::epoch).thenComparingLong(Write::millis));
            for (int i = 1; i < ofUnit.size(); i++) {
                Write before = ofUnit.get(i - 1);
                Write after = ofUnit.get(i);
                if (compare(after.position(), before.position()) < 0) {
                    findings.add("the checkpoint of " + unit + " moved back from " + describe(before) + " to "
                            + describe(after));
                }
            }
        });
    }

    /** What one owner sends for a unit under one epoch, accepted or not, only goes forward. */
    private void checkNoOwnerTriesToMoveBack(List<Write> writes) {
        Map<String, List<Write>> byOwnerAndEpoch = writes.stream().collect(Collectors.groupingBy(
                w -> w.unit() + " by " + w.worker() + " under epoch " + w.epoch(), TreeMap::new, Collectors.toList()));
        byOwnerAndEpoch.forEach((owner, ofOwner) -> {
            ofOwner.sort(Comparator.comparingLong(Write::millis));
            for (int i = 1; i < ofOwner.size(); i++) {
                if (compare(ofOwner.get(i).position(), ofOwner.get(i - 1).position()) < 0) {
                    findings.add("a checkpoint of " + owner + " tried to move back from " + describe(ofOwner.get(i - 1))
                            + " to " + describe(ofOwner.get(i)));
                }
            }
        });
    }

    /**
     * An accepted write at position P covers every record of its unit at or before P; each must
     * have been processed (by anyone) by the time the write was answered. Per unit, the records'
     * first processing sorted by position with a running latest time answer each write at once.
     */
    private void checkCoverOnlyProcessedRecords(List<Write> writes, List<DeliveryReport.Line> lines) {
        Map<String, Map<String, DeliveryReport.Line>> firstById = new HashMap<>();
        for (DeliveryReport.Line line : lines) {
            if (!line.position().isEmpty()) {
                firstById.computeIfAbsent(line.unit(), u -> new HashMap<>()).merge(line.id(), line,
                        (a, b) -> a.micros() <= b.micros() ? a : b);
            }
        }
        Map<String, List<DeliveryReport.Line>> byPosition = new HashMap<>();
        Map<String, List<Key>> keys = new HashMap<>();
        Map<String, long[]> latestUpTo = new HashMap<>();
        firstById.forEach((unit, first) -> {
            List<DeliveryReport.Line> sorted = new ArrayList<>(first.values());
            sorted.sort(Comparator.comparing(line -> key(line.position())));
            keys.put(unit, sorted.stream().map(line -> key(line.position())).toList());
            long[] latest = new long[sorted.size()];
            for (int i = 0; i < sorted.size(); i++) {
                latest[i] = Math.max(i == 0 ? Long.MIN_VALUE : latest[i - 1], sorted.get(i).micros() / 1000);
            }
            byPosition.put(unit, sorted);
            latestUpTo.put(unit, latest);
        });
        Map<String, List<String>> early = new TreeMap<>();
        for (Write write : writes) {
            List<DeliveryReport.Line> sorted = byPosition.get(write.unit());
            if (!write.accepted() || sorted == null) {
                continue;
            }
            int covered = coveredBy(keys.get(write.unit()), key(write.position()));
            checkedCoverage += covered;
            if (covered == 0 || latestUpTo.get(write.unit())[covered - 1] <= write.millis()) {
                continue;
            }
            for (DeliveryReport.Line first : sorted.subList(0, covered)) {
                if (first.micros() / 1000 > write.millis()) {
                    early.computeIfAbsent(write.unit() + " at " + describe(write), k -> new ArrayList<>()).add(first.id()
                            + " (" + first.position() + ", first processed at " + first.micros() / 1000 + ")");
                }
            }
        }
        early.forEach((write, records) -> findings.add("the checkpoint of " + write + " covers records not yet processed: "
                + (records.size() <= 10 ? records : records.subList(0, 10) + " and " + (records.size() - 10) + " more")));
    }

    /** How many of the sorted keys are at or before {@code at}. */
    private static int coveredBy(List<Key> sorted, Key at) {
        int low = 0;
        int high = sorted.size();
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (sorted.get(middle).compareTo(at) <= 0) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low;
    }

    private static String describe(Write write) {
        return write.position() + " (" + write.worker() + ", epoch " + write.epoch() + ", at " + write.millis() + ")";
    }

    private static final Key STARTING_POINT = new Key(BigInteger.ONE.negate(), 0);

    /** A record position of one unit, comparable as the stream orders it. */
    private record Key(BigInteger sequence, long sub) implements Comparable<Key> {
        @Override
        public int compareTo(Key other) {
            int bySequence = sequence.compareTo(other.sequence);
            return bySequence != 0 ? bySequence : Long.compare(sub, other.sub);
        }
    }

    /**
     * {@code seq:<n>[.<sub>]} or {@code offset:<n>}; a starting point ({@code TRIM_HORIZON},
     * {@code AT_TIMESTAMP:…}, which a Kinesis unit's checkpoint keeps with records finished beyond
     * it until its first record is finished) comes before every record and covers none.
     */
    private static Key key(String position) {
        if (position.equals("TRIM_HORIZON") || position.equals("LATEST") || position.startsWith("AT_TIMESTAMP:")) {
            return STARTING_POINT;
        }
        if (position.startsWith("offset:")) {
            return new Key(new BigInteger(position.substring("offset:".length())), 0);
        }
        if (position.startsWith("seq:")) {
            String[] parts = position.substring("seq:".length()).split("\\.");
            return new Key(new BigInteger(parts[0]), parts.length > 1 ? Long.parseLong(parts[1]) : 0);
        }
        throw new IllegalArgumentException("not a record's position: " + position);
    }

    static int compare(String a, String b) {
        return key(a).compareTo(key(b));
    }

    /**
     * Where the worker resumed the unit by its last claim at or before {@code millis}: empty
     * outside when no such claim was recorded, an empty position inside when its row held none.
     */
    java.util.Optional<java.util.Optional<String>> resumedBy(String worker, String unit, long millis) {
        return claims.stream().filter(c -> c.worker().equals(worker) && c.unit().equals(unit) && c.millis() <= millis)
                .max(Comparator.comparingLong(Claim::millis))
                .map(c -> c.resumed().isEmpty() ? java.util.Optional.<String>empty() : java.util.Optional.of(c.resumed()));
    }

    /** The furthest checkpoint of the unit DynamoDB had accepted by {@code millis}, if any. */
    java.util.Optional<String> acceptedBy(String unit, long millis) {
        return acceptedByUnit.getOrDefault(unit, List.of()).stream().filter(w -> w.millis() <= millis)
                .map(Write::position).max(CheckpointHistory::compare);
    }

    List<String> findings() {
        return List.copyOf(findings);
    }

    String summary() {
        return accepted + " checkpoints accepted, " + checkedCoverage + " record coverings checked";
    }
}
