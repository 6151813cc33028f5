package dev.streamfleet.it.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Reads what the {@code jsonl} processor wrote: the data of each record, in the order processed. */
final class JsonlFiles {

    private JsonlFiles() {
    }

    static Set<String> range(int from, int to) {
        Set<String> ids = new HashSet<>();
        for (int i = from; i < to; i++) {
            ids.add("id-" + i);
        }
        return ids;
    }

    static Set<String> ids(Path... files) throws IOException {
        Set<String> ids = new HashSet<>();
        for (Path file : files) {
            ids.addAll(dataOf(file));
        }
        return ids;
    }

    static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }

    static List<String> dataOf(Path file) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        List<String> data = new ArrayList<>();
        for (String line : lines(file)) {
            if (line.endsWith("}")) {
                JsonNode node = mapper.readTree(line);
                data.add(node.get("data").asText());
            }
        }
        return data;
    }
}
