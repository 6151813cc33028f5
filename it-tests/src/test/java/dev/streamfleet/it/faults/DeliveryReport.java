package dev.streamfleet.it.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Judges one scenario from the outside, from what the producer had acknowledged, what the
 * {@code jsonl} processors wrote, the lease tenures seen in ZooKeeper and the faults the test
 * caused. First of all, that the load ran: every source it loaded produced and acknowledged at
 * least a floor of records, and the producer met no problem; otherwise the other checks passed
 * on nothing. Every finding names the scenario, the unit or key, and the record ids concerned.
 * Pure: no servers, no clocks of its own.
 */
final class DeliveryReport {

    /**
     * How far a line's time may lie outside a tenure, in millis: none. A tenure starts when its
     * node was created and ends no later than the next one's creation, both the server's clock on
     * this host, as the lines' times are; see {@link LeaseWatcher#tenures}.
     */
    static final long OBSERVATION_SLACK = 0;

    /**
     * One processed record, as a {@code jsonl} line said. {@code micros} is the batch's processing
     * time; {@code position} the record's, as the line wrote it (empty when not known).
     */
    record Line(String id, String unit, String key, String worker, long micros, long order, String position) {

        Line(String id, String unit, String key, String worker, long micros, long order) {
            this(id, unit, key, worker, micros, order, "");
        }
    }

    /**
     * What the load producer did: the sources it loaded (every stream and topic), the rate it was
     * asked for on each, how long it ran, and the problems it met.
     */
    record Load(List<String> sources, int recordsPerSecondEach, Duration ran, List<String> problems) {

        /**
         * The fewest records each source must have produced and acknowledged: a quarter of what the
         * rate gives over the time the load ran (conservative: a busy machine, an emulator restart),
         * and at least one, so a source that produced nothing never passes.
         */
        long floor() {
            return Math.max(1, recordsPerSecondEach * ran.toMillis() / 4_000);
        }

        String floorReason() {
            return "a quarter of " + recordsPerSecondEach + "/s over " + String.format("%.1f", ran.toMillis() / 1000.0)
                    + " s of load";
        }
    }

    /** A fault that may explain re-delivery: every worker in {@code workers} (or all, if empty) stopped between the two times. */
    record Crash(String what, Set<String> workers, long fromMillis, long toMillis) {

        boolean explains(String worker, long micros, long checkpointIntervalMillis) {
            long millis = micros / 1000;
            return (workers.isEmpty() || workers.contains(worker))
                    && millis >= fromMillis - checkpointIntervalMillis - 1_500 && millis <= toMillis;
        }
    }

    private final String scenario;
    private final long checkpointIntervalMillis;
    private final boolean outOfOrder;
    private final List<String> findings = new ArrayList<>();
    private final List<String> summaries = new ArrayList<>();
    private CheckpointHistory checkpoints;
    private final Map<String, Integer> duplicates = new TreeMap<>();
    private final Map<String, Integer> producedBySource = new TreeMap<>();
    private int processed;
    private int produced;
    private Set<String> deadLettered = Set.of();

    DeliveryReport(String scenario, long checkpointIntervalMillis) {
        this(scenario, checkpointIntervalMillis, false);
    }

    /**
     * @param outOfOrder records of a unit finished out of order (parallelism above 1): what a crash
     *                   re-delivers is then the records not finished at the last checkpoint, which
     *                   need not be one run of the unit, but is one run of each key
     */
    DeliveryReport(String scenario, long checkpointIntervalMillis, boolean outOfOrder) {
        this.scenario = scenario;
        this.checkpointIntervalMillis = checkpointIntervalMillis;
        this.outOfOrder = outOfOrder;
    }

    /** Judges re-delivery against these checkpoints rather than by time alone; see {@link #explains}. */
    DeliveryReport withCheckpoints(CheckpointHistory history) {
        this.checkpoints = history;
        return this;
    }

    /**
     * The records the dead-letter destination acknowledged ({@link DeadLetterReport}): delivered,
     * though no line says so. Before {@link #judge}.
     */
    DeliveryReport withDeadLettered(Set<String> ids) {
        deadLettered = Set.copyOf(ids);
        return this;
    }

    /** Runs every check. */
    DeliveryReport judge(Load load, List<LoadProducer.Produced> producedRecords, List<Line> lines,
                         List<LeaseWatcher.Tenure> tenures, List<Crash> crashes) {
        produced = producedRecords.size();
        processed = lines.size();
        checkTheLoadRan(load, producedRecords);
        List<Line> ordered = new ArrayList<>(lines);
        ordered.sort(Comparator.comparingLong(Line::micros).thenComparingLong(Line::order));
        checkNothingLost(producedRecords, ordered);
        checkDuplicatesAreExplained(ordered, crashes, tenures);
        checkOneReaderAtATime(ordered, tenures);
        checkOrderPerKey(ordered);
        return this;
    }

    /** A scenario that produced nothing, or whose producer failed, exercised nothing and proves nothing. */
    private void checkTheLoadRan(Load load, List<LoadProducer.Produced> producedRecords) {
        Map<String, Integer> problems = new LinkedHashMap<>();
        load.problems().forEach(problem -> problems.merge(problem, 1, Integer::sum));
        problems.forEach((problem, times) -> finding("the load producer met a problem"
                + (times > 1 ? " " + times + " times" : "") + ": " + problem));
        load.sources().forEach(source -> producedBySource.put(source, 0));
        producedRecords.forEach(record -> producedBySource.merge(record.source(), 1, Integer::sum));
        for (String source : load.sources()) {
            int count = producedBySource.get(source);
            if (count < load.floor()) {
                finding(source + " produced and acknowledged " + count + " records, below the floor of " + load.floor()
                        + " (" + load.floorReason() + ")");
            }
        }
    }

    private void checkNothingLost(List<LoadProducer.Produced> producedRecords, List<Line> lines) {
        Set<String> seen = lines.stream().map(Line::id).collect(Collectors.toSet());
        Map<String, List<String>> missing = new TreeMap<>();
        for (LoadProducer.Produced record : producedRecords) {
            if (!seen.contains(record.id()) && !deadLettered.contains(record.id())) {
                missing.computeIfAbsent(record.source() + " " + record.key(), k -> new ArrayList<>()).add(record.id());
            }
        }
        missing.forEach((where, ids) -> finding("lost " + ids.size() + " records of " + where + ": " + sample(ids)));
    }

    private void checkDuplicatesAreExplained(List<Line> lines, List<Crash> crashes, List<LeaseWatcher.Tenure> tenures) {
        Map<String, Line> first = new HashMap<>();
        Map<String, List<Line>> redelivered = new LinkedHashMap<>();
        for (Line line : lines) {
            Line earlier = first.putIfAbsent(line.id(), line);
            if (earlier != null) {
                redelivered.computeIfAbsent(line.id(), k -> new ArrayList<>()).add(line);
            }
        }
        Map<String, List<String>> unexplained = new TreeMap<>();
        Map<String, Set<String>> againByRun = new HashMap<>();
        for (String id : redelivered.keySet()) {
            Line original = first.get(id);
            duplicates.merge(original.unit(), redelivered.get(id).size(), Integer::sum);
            List<Line> deliveries = new ArrayList<>();
            deliveries.add(original);
            deliveries.addAll(redelivered.get(id));
            boolean explained = true;
            for (int i = 1; i < deliveries.size(); i++) {
                Line before = deliveries.get(i - 1);
                Line again = deliveries.get(i);
                explained &= crashes.stream().anyMatch(c -> explains(c, before, again, tenures));
            }
            if (!explained) {
                unexplained.computeIfAbsent(original.unit() + " (first by " + original.worker() + ", again by "
                        + redelivered.get(id).get(0).worker() + ")", k -> new ArrayList<>()).add(id);
            }
            againByRun.computeIfAbsent(runOf(original), k -> new HashSet<>()).add(id);
        }
        unexplained.forEach((where, ids) -> finding(ids.size() + " records of " + where
                + " were processed twice without a crash that explains it: " + sample(ids)));

        // What a successor re-reads starts at the last checkpoint: the tail of what the dead owner processed.
        Map<String, List<Line>> byRun = new HashMap<>();
        for (Line line : lines) {
            if (first.get(line.id()) == line) {
                byRun.computeIfAbsent(runOf(line), k -> new ArrayList<>()).add(line);
            }
        }
        againByRun.forEach((run, ids) -> {
            List<Line> owned = byRun.get(run);
            int from = 0;
            while (from < owned.size() && !ids.contains(owned.get(from).id())) {
                from++;
            }
            List<String> gaps = new ArrayList<>();
            int lastAgain = from;
            for (int i = from; i < owned.size(); i++) {
                if (ids.contains(owned.get(i).id())) {
                    lastAgain = i;
                }
            }
            for (int i = from; i <= lastAgain; i++) {
                if (!ids.contains(owned.get(i).id())) {
                    gaps.add(owned.get(i).id());
                }
            }
            if (!gaps.isEmpty()) {
                finding("re-delivered records of " + run + " are not one run since a checkpoint; not again: "
                        + sample(gaps));
            }
        });
    }

    /**
     * Whether a crash explains processing a record again. With the checkpoints known, exactly: the
     * delivery before was by a worker the crash stopped, before the crash ended, while that worker
     * held the unit until the crash began (so no graceful hand-over left it unwritten); and the
     * worker that delivered it again had resumed, by its last claim of the unit, from a checkpoint
     * that did not cover it (a claim's answer is the row it resumes from). Without a recorded
     * claim, against the checkpoint DynamoDB had accepted when the crash began. Without
     * checkpoints, and for faults that stopped every worker, by time: first processed within a
     * checkpoint interval (and 1.5 s) before the fault.
     */
    private boolean explains(Crash crash, Line before, Line again, List<LeaseWatcher.Tenure> tenures) {
        if (checkpoints == null || crash.workers().isEmpty() || before.position().isEmpty()) {
            return crash.explains(before.worker(), before.micros(), checkpointIntervalMillis);
        }
        long millis = before.micros() / 1000;
        if (!crash.workers().contains(before.worker()) || millis > crash.toMillis()) {
            return false;
        }
        boolean heldUntilTheCrash = tenures.stream().anyMatch(t -> t.unit().equals(before.unit())
                && t.worker().equals(before.worker()) && t.covers(millis, OBSERVATION_SLACK) && t.to() >= crash.fromMillis());
        if (!heldUntilTheCrash) {
            return false;
        }
        java.util.Optional<String> resumedFrom = checkpoints.resumedBy(again.worker(), again.unit(), again.micros() / 1000)
                .orElseGet(() -> checkpoints.acceptedBy(before.unit(), crash.fromMillis()));
        return resumedFrom.map(checkpoint -> CheckpointHistory.compare(before.position(), checkpoint) > 0).orElse(true);
    }

    /**
     * The records of which a crash re-delivers one run, the tail since the last checkpoint: at
     * parallelism 1, a unit's records as its dead owner processed them. Out of order, a key's:
     * the checkpoint covers the records finished when it was written (the watermark and the set
     * finished beyond it), and a key's records finish one after another, so what it covers of a
     * key is a head of the key's records and what is re-delivered is the rest, one run; across
     * keys a batch still in hand (its records written one by one) leaves gaps in time order.
     */
    private String runOf(Line line) {
        return outOfOrder ? line.unit() + " " + line.worker() + " key " + line.key() : line.unit() + " " + line.worker();
    }

    private void checkOneReaderAtATime(List<Line> lines, List<LeaseWatcher.Tenure> tenures) {
        Map<String, List<LeaseWatcher.Tenure>> byUnit = tenures.stream().collect(Collectors.groupingBy(LeaseWatcher.Tenure::unit));
        Map<String, List<String>> outside = new TreeMap<>();
        Map<String, List<String>> inside = new TreeMap<>();
        for (Line line : lines) {
            long millis = line.micros() / 1000;
            List<LeaseWatcher.Tenure> ofUnit = byUnit.getOrDefault(line.unit(), List.of());
            boolean held = ofUnit.stream().anyMatch(t -> t.worker().equals(line.worker()) && t.covers(millis, OBSERVATION_SLACK));
            if (!held) {
                outside.computeIfAbsent(line.unit() + " by " + line.worker(), k -> new ArrayList<>()).add(line.id());
            }
            ofUnit.stream().filter(t -> !t.worker().equals(line.worker()) && t.strictlyCovers(millis, OBSERVATION_SLACK))
                    .findFirst().ifPresent(t -> inside.computeIfAbsent(line.unit() + " by " + line.worker()
                            + " while " + t.worker() + " held its lease", k -> new ArrayList<>()).add(line.id()));
        }
        outside.forEach((where, ids) -> finding("processed without holding the lease: " + where + ": " + sample(ids)));
        inside.forEach((where, ids) -> finding("two readers: " + where + ": " + sample(ids)));
    }

    private void checkOrderPerKey(List<Line> lines) {
        Set<String> seen = new HashSet<>();
        Map<String, Long> lastByKey = new HashMap<>();
        Map<String, List<String>> outOfOrder = new TreeMap<>();
        for (Line line : lines) {
            if (!seen.add(line.id())) {
                continue;
            }
            String prefix = line.id().substring(0, line.id().indexOf('-'));
            String key = prefix + " " + line.key();
            long n = Long.parseLong(line.id().substring(line.id().indexOf('-') + 1));
            Long last = lastByKey.get(key);
            if (last != null && n < last) {
                outOfOrder.computeIfAbsent(key, k -> new ArrayList<>()).add(line.id() + " after " + prefix + "-" + last
                        + " (" + line.unit() + ")");
            } else {
                lastByKey.put(key, n);
            }
        }
        outOfOrder.forEach((key, what) -> finding("out of production order for key " + key + ": " + sample(what)));
    }

    /** Adds the findings of a check judged elsewhere, and its summary to this one's. */
    DeliveryReport include(List<String> more, String summary) {
        more.forEach(this::finding);
        if (!summary.isEmpty()) {
            summaries.add(summary);
        }
        return this;
    }

    private void finding(String text) {
        findings.add("scenario '" + scenario + "': " + text);
    }

    private static String sample(List<String> ids) {
        return ids.size() <= 10 ? ids.toString() : ids.subList(0, 10) + " and " + (ids.size() - 10) + " more";
    }

    List<String> findings() {
        return List.copyOf(findings);
    }

    /** Re-delivered records per unit. */
    Map<String, Integer> duplicates() {
        return Map.copyOf(duplicates);
    }

    int totalDuplicates() {
        return duplicates.values().stream().mapToInt(Integer::intValue).sum();
    }

    String summary() {
        return "scenario '" + scenario + "': produced " + produced + " " + producedBySource + ", processed " + processed
                + " lines, " + totalDuplicates() + " re-delivered, " + findings.size() + " findings"
                + summaries.stream().map(part -> "; " + part).collect(Collectors.joining());
    }
}
