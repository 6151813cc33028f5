package com.example.keycounts;

import dev.streamfleet.core.UnitId;
import dev.streamfleet.worker.ProcessorOptions;
import dev.streamfleet.worker.RecordProcessor;
import dev.streamfleet.worker.RecordProcessorFactory;

import java.nio.file.Path;

/**
 * The class the configuration names ({@code processor.type: com.example.keycounts.KeyCounts}).
 * streamfleet makes one per worker, with the configuration's {@code processor.options}, and asks
 * it for one processor per unit. Option {@code path}: the file the counts are appended to
 * ({@code {worker}} stands for the worker id).
 */
public final class KeyCounts implements RecordProcessorFactory {

    private final CountsFile file;

    public KeyCounts(ProcessorOptions options) {
        this.file = new CountsFile(Path.of(options.require("path")));
    }

    @Override
    public RecordProcessor create(UnitId unit) {
        return new KeyCountsProcessor(file);
    }
}
