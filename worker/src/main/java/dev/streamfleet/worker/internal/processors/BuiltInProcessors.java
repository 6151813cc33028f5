package dev.streamfleet.worker.internal.processors;

import dev.streamfleet.coordinator.WorkerId;
import dev.streamfleet.worker.ConcurrentRecordProcessor;
import dev.streamfleet.worker.ProcessorOptions;
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
 * which {@code {worker}} stands for the worker id), or the class name of a
 * {@link RecordProcessorFactory} or {@link RecordProcessor} with a public constructor taking
 * {@link ProcessorOptions} (preferred) or none (then it may have no options).
 */
public final class BuiltInProcessors {

    private static final Logger RECORDS = LoggerFactory.getLogger("streamfleet.records");
    private static final Logger LOG = LoggerFactory.getLogger(BuiltInProcessors.class);

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
                return byClassName(name, ProcessorOptions.of(options, worker));
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

    private static RecordProcessorFactory byClassName(String name, ProcessorOptions options) {
        Class<?> type;
        try {
            type = Class.forName(name, true, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("processor '" + name + "' is neither log, jsonl nor a class on the classpath"
                    + " (put its jar into the installation's ext/ directory, or name it in STREAMFLEET_CLASSPATH)");
        }
        java.lang.reflect.Constructor<?> constructor = constructor(type, options);
        if (RecordProcessorFactory.class.isAssignableFrom(type)) {
            return (RecordProcessorFactory) instantiate(constructor, options);
        }
        if (RecordProcessor.class.isAssignableFrom(type)) {
            instantiate(constructor, options);
            return unit -> (RecordProcessor) instantiate(constructor, options);
        }
        throw new IllegalArgumentException("processor class " + name + " implements neither RecordProcessor nor"
                + " RecordProcessorFactory");
    }

    /** The constructor taking the options, else the one taking nothing, which only a processor without options may use. */
    private static java.lang.reflect.Constructor<?> constructor(Class<?> type, ProcessorOptions options) {
        try {
            return type.getConstructor(ProcessorOptions.class);
        } catch (NoSuchMethodException e) {
            // Then the one taking nothing.
        }
        try {
            java.lang.reflect.Constructor<?> none = type.getConstructor();
            if (!options.asMap().isEmpty()) {
                // Not fatal: a file's options may belong to the processor that processor.type named before an override.
                LOG.warn("processor class {} takes no options (it has no public constructor taking ProcessorOptions);"
                        + " processor.options {} are not passed to it", type.getName(), options.asMap().keySet());
            }
            return none;
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("processor class " + type.getName() + " has no public constructor taking"
                    + " ProcessorOptions or nothing");
        }
    }

    private static Object instantiate(java.lang.reflect.Constructor<?> constructor, ProcessorOptions options) {
        String name = constructor.getDeclaringClass().getName();
        try {
            return constructor.getParameterCount() == 1 ? constructor.newInstance(options) : constructor.newInstance();
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException wrong) {
                throw new IllegalArgumentException("processor class " + name + ": " + wrong.getMessage(), wrong);
            }
            throw new IllegalArgumentException("processor class " + name + " failed in its constructor: " + e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("processor class " + name + " cannot be created: " + e);
        }
    }
}
