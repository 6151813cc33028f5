package dev.streamfleet.it.faults;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Judges the callbacks every processor instance heard ({@link CallbackLog}) against the
 * README's promise: {@code initialize} first, then batches, then exactly one of
 * {@code revoked}, {@code lost} or {@code shardEnded}, and nothing after it; an ending never
 * overlaps a batch or another callback. Exactly one ending is owed by every instance of a
 * worker that stopped cleanly; a worker killed or ended by the stuck handler owes at most one.
 * Also counts the batches in hand when a worker was killed: a kill that finds no batch in hand
 * tests less than it seems. Pure: no servers, no clocks.
 */
final class ProcessorEndings {

    private static final Set<String> ENDINGS = Set.of("revoked", "lost", "shardEnded");

    /** One line of a callback log; {@code worker} is the worker whose log it was. */
    record Event(String worker, long micros, String instance, String unit, String event) {

        static Event parse(String worker, String line) {
            String[] parts = line.split(" ");
            if (parts.length != 4) {
                return null;
            }
            try {
                return new Event(worker, Long.parseLong(parts[0]), parts[1], parts[2], parts[3]);
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }

    private final List<String> findings = new ArrayList<>();
    private final Map<String, Integer> endings = new TreeMap<>();
    private final Map<String, Integer> inHandAtEnd = new TreeMap<>();
    private int instances;
    private int owed;

    /**
     * @param events        every worker's events, each worker's in the order it wrote them
     * @param stoppedCleanly the workers that exited 0 after SIGTERM: each of their instances owes an ending
     */
    ProcessorEndings judge(List<Event> events, Set<String> stoppedCleanly) {
        Map<String, List<Event>> byInstance = new LinkedHashMap<>();
        // Process ids repeat across a scenario's workers, so an instance is named within its worker.
        events.forEach(event -> byInstance.computeIfAbsent(event.worker() + " " + event.instance(), k -> new ArrayList<>())
                .add(event));
        instances = byInstance.size();
        if (instances == 0) {
            findings.add("no processor callback was recorded: the checks on endings saw nothing");
        }
        byInstance.forEach((key, heard) -> judgeInstance(heard.get(0).instance(), heard, stoppedCleanly));
        return this;
    }

    private void judgeInstance(String instance, List<Event> heard, Set<String> stoppedCleanly) {
        Event first = heard.get(0);
        String who = "processor " + instance + " of " + first.unit() + " on " + first.worker();
        if (!first.event().equals("initialize")) {
            findings.add(who + " heard " + first.event() + " before initialize");
        }
        int inBatch = 0;
        Event ending = null;
        boolean endingReturned = false;
        for (Event event : heard.subList(1, heard.size())) {
            switch (event.event()) {
                case "process" -> inBatch++;
                case "processed" -> inBatch--;
                case "returned" -> endingReturned = true;
                default -> { }
            }
            if (ending != null && !event.event().equals("returned")) {
                findings.add(who + " heard " + event.event() + " after " + ending.event());
            }
            if (ENDINGS.contains(event.event())) {
                if (ending == null) {
                    ending = event;
                }
                if (inBatch > 0) {
                    findings.add(who + " heard " + event.event() + " while " + inBatch + " batch(es) were in hand");
                }
            }
            if (event.event().equals("initialize")) {
                findings.add(who + " heard initialize twice");
            }
        }
        if (ending != null) {
            endings.merge(ending.event(), 1, Integer::sum);
        }
        inHandAtEnd.merge(first.worker(), Math.max(0, inBatch), Integer::sum);
        if (stoppedCleanly.contains(first.worker())) {
            owed++;
            if (ending == null) {
                findings.add(who + " heard no revoked, lost or shardEnded, though its worker stopped cleanly");
            } else if (!endingReturned) {
                findings.add(who + "'s " + ending.event() + " never returned, though its worker stopped cleanly");
            }
        }
    }

    /**
     * The batches each of these workers had in hand when its log ended: for a killed worker, the
     * batches the kill cut off.
     */
    Map<String, Integer> inHandAtEnd(Set<String> workers) {
        Map<String, Integer> inHand = new TreeMap<>();
        workers.forEach(worker -> inHand.put(worker, inHandAtEnd.getOrDefault(worker, 0)));
        return inHand;
    }

    List<String> findings() {
        return List.copyOf(findings);
    }

    String summary() {
        return instances + " processor instances, endings " + endings + ", " + owed + " owed one";
    }
}
