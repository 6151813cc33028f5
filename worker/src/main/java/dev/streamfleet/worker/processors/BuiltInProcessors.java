package dev.streamfleet.worker.processors;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.worker.ConcurrentRecordProcessor;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.RecordProcessorFactory;

import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processors a configuration can name: {@code log}, {@code jsonl} (option {@code path}, in
 * which {@code {worker}} stands for the worker id),
 * or the class name of a {@link RecordProcessorFactory} or {@link RecordProcessor} with a
 * public no-argument constructor.
 */
public final class BuiltInProcessors {

    private static final Logger RECORDS = LoggerFactory.getLogger("streamfleet.records");

    private BuiltInProcessors() {
    }

    /**
     * Resolves a processor by name.
     *
     * @throws IllegalArgumentException with one line naming the problem when the name or an option is wrong
     */
    public static RecordProcessorFactory resolve(String name, Map<String, String> options, WorkerId worker) {
        switch (name) {
            case "log":
                return unit -> (ConcurrentRecordProcessor) (batch, checkpointer) -> RECORDS.info("{}: {} records up to {}",
                        unit, batch.records().size(), batch.last().position());
            case "jsonl": {
                String path = options.get("path");
                if (path == null || path.isBlank()) {
                    throw new IllegalArgumentException("processor jsonl needs option 'path' (the file to append to)");
                }
                // Several workers on one host need one file each: {worker} stands for the worker id.
                JsonLinesSink sink = new JsonLinesSink(Path.of(path.replace("{worker}", worker.value())), worker,
                        Clock.systemUTC());
                // The sink writes one batch at a time, so concurrent batches of a unit are safe.
                return unit -> (ConcurrentRecordProcessor) (batch, checkpointer) -> sink.write(batch);
            }
            default:
                return byClassName(name);
        }
    }

    /**
     * Whether the named processor may be handed batches of one unit concurrently
     * (processing.parallelism above 1): the built-in ones may; a processor class only when it
     * implements {@link ConcurrentRecordProcessor}. A factory is asked when it creates one.
     */
    public static boolean mayRunConcurrently(String name) {
        if (name.equals("log") || name.equals("jsonl")) {
            return true;
        }
        try {
            Class<?> type = Class.forName(name);
            return !RecordProcessor.class.isAssignableFrom(type) || ConcurrentRecordProcessor.class.isAssignableFrom(type);
        } catch (ClassNotFoundException | LinkageError e) {
            return true;
        }
    }

    private static RecordProcessorFactory byClassName(String name) {
        Class<?> type;
        try {
            type = Class.forName(name, true, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("processor '" + name + "' is neither log, jsonl nor a class on the classpath");
        }
        if (RecordProcessorFactory.class.isAssignableFrom(type)) {
            return (RecordProcessorFactory) instantiate(type);
        }
        if (RecordProcessor.class.isAssignableFrom(type)) {
            instantiate(type);
            return unit -> (RecordProcessor) instantiate(type);
        }
        throw new IllegalArgumentException("processor class " + name + " implements neither RecordProcessor nor"
                + " RecordProcessorFactory");
    }

    private static Object instantiate(Class<?> type) {
        try {
            return type.getConstructor().newInstance();
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("processor class " + type.getName() + " has no public no-argument constructor");
        } catch (InvocationTargetException e) {
            throw new IllegalArgumentException("processor class " + type.getName() + " failed in its constructor: "
                    + e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("processor class " + type.getName() + " cannot be created: " + e);
        }
    }
}
