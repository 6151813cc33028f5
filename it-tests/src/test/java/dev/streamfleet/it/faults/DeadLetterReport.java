package dev.streamfleet.it.faults;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Judges a scenario's dead letters from the outside (README, "Dead letters"): every poison
 * record the load produced was written to the dead-letter destination and never processed, no
 * healthy record was, each letter says what it is about (unit, partition key, attempts, error),
 * and a letter written twice (same unit and position) is explained by a crash of the worker
 * that held the unit when the first was written, since the destination acknowledged it before
 * the next checkpoint. And that there were letters at all: each source loaded gave at least a
 * floor of them, otherwise the other checks passed on nothing. Pure: no servers, no clocks.
 */
final class DeadLetterReport {

    /**
     * One letter as read from the destination: the fields the worker wrote, {@code id} its data
     * decoded (the load's record id), {@code sentMillis} when the destination took it (its timestamp).
     */
    record Letter(String unit, String position, String partitionKey, int attempts, String error, String id,
                  long sentMillis) {
    }

    private final String scenario;
    private final long checkpointIntervalMillis;
    private final Predicate<String> poison;
    private final int attempts;
    private final List<String> findings = new ArrayList<>();
    private final Set<String> deadLettered = new HashSet<>();
    private final Map<String, Integer> lettersBySource = new TreeMap<>();
    private int letters;
    private int repeated;

    /**
     * @param poison   which record ids the processor fails on, every time
     * @param attempts the offers a letter must say its record had ({@code processing.processorAttempts})
     */
    DeadLetterReport(String scenario, long checkpointIntervalMillis, Predicate<String> poison, int attempts) {
        this.scenario = scenario;
        this.checkpointIntervalMillis = checkpointIntervalMillis;
        this.poison = poison;
        this.attempts = attempts;
    }

    /**
     * Runs every check.
     *
     * @param floor      the fewest distinct records each of {@code sources} must have dead-lettered
     * @param unreadable letters that did not parse, each described
     */
    DeadLetterReport judge(List<String> sources, long floor, List<LoadProducer.Produced> produced,
                           List<DeliveryReport.Line> lines, List<Letter> letterList, List<String> unreadable,
                           List<LeaseWatcher.Tenure> tenures, List<DeliveryReport.Crash> crashes) {
        letters = letterList.size() + unreadable.size();
        unreadable.forEach(text -> finding("a dead letter that does not parse: " + text));
        Map<String, LoadProducer.Produced> byId = new HashMap<>();
        produced.forEach(record -> byId.put(record.id(), record));
        letterList.forEach(letter -> deadLettered.add(letter.id()));
        checkEachLetter(letterList, byId);
        checkEveryPoisonRecordLetteredAndNeverProcessed(produced, lines);
        checkTheFloor(sources, floor, byId);
        checkRepeatsAreExplained(letterList, tenures, crashes);
        return this;
    }

    private void checkEachLetter(List<Letter> letterList, Map<String, LoadProducer.Produced> byId) {
        Map<String, List<String>> wrong = new TreeMap<>();
        for (Letter letter : letterList) {
            LoadProducer.Produced record = byId.get(letter.id());
            if (record == null) {
                wrong.computeIfAbsent("of no record the load produced", k -> new ArrayList<>()).add(letter.id());
            } else if (!poison.test(letter.id())) {
                wrong.computeIfAbsent("of healthy records", k -> new ArrayList<>()).add(letter.id());
            } else if (!letter.unit().contains("/" + record.source() + "/")) {
                wrong.computeIfAbsent("naming another unit than the record's source", k -> new ArrayList<>())
                        .add(letter.id() + " in " + letter.unit());
            } else if (!letter.partitionKey().equals(record.key())) {
                wrong.computeIfAbsent("naming another partition key", k -> new ArrayList<>())
                        .add(letter.id() + ": '" + letter.partitionKey() + "', produced with '" + record.key() + "'");
            } else if (letter.attempts() != attempts) {
                wrong.computeIfAbsent("not after " + attempts + " attempts", k -> new ArrayList<>())
                        .add(letter.id() + " after " + letter.attempts());
            } else if (!letter.error().contains(letter.id())) {
                wrong.computeIfAbsent("whose error is not the processor's", k -> new ArrayList<>())
                        .add(letter.id() + ": " + letter.error());
            }
        }
        wrong.forEach((what, ids) -> finding(ids.size() + " dead letters " + what + ": " + sample(ids)));
    }

    private void checkEveryPoisonRecordLetteredAndNeverProcessed(List<LoadProducer.Produced> produced,
                                                                 List<DeliveryReport.Line> lines) {
        Map<String, List<String>> notLettered = new TreeMap<>();
        for (LoadProducer.Produced record : produced) {
            if (poison.test(record.id()) && !deadLettered.contains(record.id())) {
                notLettered.computeIfAbsent(record.source(), k -> new ArrayList<>()).add(record.id());
            }
        }
        notLettered.forEach((source, ids) -> finding(ids.size() + " poison records of " + source
                + " were never dead-lettered: " + sample(ids)));
        Map<String, List<String>> processed = new TreeMap<>();
        for (DeliveryReport.Line line : lines) {
            if (poison.test(line.id())) {
                processed.computeIfAbsent(line.unit() + " by " + line.worker(), k -> new ArrayList<>()).add(line.id());
            }
        }
        processed.forEach((where, ids) -> finding("poison records processed, " + where + ": " + sample(ids)));
    }

    /** Letters of nothing prove nothing: each source must have had its poison records dead-lettered. */
    private void checkTheFloor(List<String> sources, long floor, Map<String, LoadProducer.Produced> byId) {
        sources.forEach(source -> lettersBySource.put(source, 0));
        for (String id : deadLettered) {
            LoadProducer.Produced record = byId.get(id);
            if (record != null) {
                lettersBySource.merge(record.source(), 1, Integer::sum);
            }
        }
        lettersBySource.forEach((source, count) -> {
            if (count < floor) {
                finding(source + " had " + count + " records dead-lettered, below the floor of " + floor);
            }
        });
    }

    /**
     * The same letter again is what a worker killed after the destination acknowledged it and
     * before its next checkpoint leaves behind: the next owner meets the record again. So the
     * first letter's writer (the holder of the unit then) must have crashed within a checkpoint
     * interval and the slack of {@link DeliveryReport.Crash#explains} after it, before the repeat.
     */
    private void checkRepeatsAreExplained(List<Letter> letterList, List<LeaseWatcher.Tenure> tenures,
                                          List<DeliveryReport.Crash> crashes) {
        Map<String, List<Letter>> byPosition = new LinkedHashMap<>();
        letterList.stream().sorted(Comparator.comparingLong(Letter::sentMillis))
                .forEach(letter -> byPosition.computeIfAbsent(letter.unit() + " " + letter.position(),
                        k -> new ArrayList<>()).add(letter));
        Map<String, List<String>> unexplained = new TreeMap<>();
        byPosition.forEach((where, same) -> {
            for (int i = 1; i < same.size(); i++) {
                repeated++;
                Letter first = same.get(i - 1);
                Letter again = same.get(i);
                List<String> writers = tenures.stream().filter(t -> t.unit().equals(first.unit())
                        && t.covers(first.sentMillis(), DeliveryReport.OBSERVATION_SLACK)).map(LeaseWatcher.Tenure::worker)
                        .distinct().toList();
                boolean explained = crashes.stream().anyMatch(c -> again.sentMillis() >= c.fromMillis()
                        && writers.stream().anyMatch(w -> c.explains(w, first.sentMillis() * 1000, checkpointIntervalMillis)));
                if (!explained) {
                    unexplained.computeIfAbsent(first.unit() + " (first while " + writers + " held it)",
                            k -> new ArrayList<>()).add(first.id() + " at " + first.sentMillis() + " and "
                            + again.sentMillis());
                }
            }
        });
        unexplained.forEach((where, what) -> finding(what.size() + " dead letters of " + where
                + " were written twice without a crash that explains it: " + sample(what)));
    }

    private void finding(String text) {
        findings.add("scenario '" + scenario + "': " + text);
    }

    private static String sample(List<String> items) {
        return items.size() <= 10 ? items.toString() : items.subList(0, 10) + " and " + (items.size() - 10) + " more";
    }

    List<String> findings() {
        return List.copyOf(findings);
    }

    /** The ids of the records written to the destination: delivered, for {@link DeliveryReport}'s "nothing lost". */
    Set<String> deadLettered() {
        return Set.copyOf(deadLettered);
    }

    /** Letters written again for the same unit and position. */
    int repeated() {
        return repeated;
    }

    String summary() {
        return "scenario '" + scenario + "': " + letters + " dead letters of " + deadLettered.size() + " records "
                + lettersBySource + ", " + repeated + " written again, " + findings.size() + " findings";
    }
}
