package dev.streamfleet.worker.internal.status;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The leader's HTML page: a frame, the status document it was served with, and a small script
 * ({@code status-page.js}) that draws the document and then refreshes it from {@code /api/status}
 * every 5 s in place, keeping the reader's scroll position, filter and sort order. The document is
 * embedded so that the first view needs no second request; it is written so that nothing in it
 * (stream names, worker ids, failure messages) can end its script element, and the script puts
 * every text into the page as text.
 */
final class StatusPage {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STYLE = resource("status-page.css");
    private static final String SCRIPT = resource("status-page.js");

    private StatusPage() {
    }

    static String render(JsonNode status) {
        StringBuilder html = new StringBuilder(16_384);
        html.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>streamfleet ")
                .append(escape(status.path("application").asText())).append("</title><style>").append(STYLE)
                .append("</style></head><body>")
                .append("<h1>fleet <span id=\"application\"></span></h1>")
                .append("<p>leader <b id=\"leader\"></b>, generation <b id=\"generation\"></b>, as of ")
                .append("<span id=\"generatedAt\"></span> <span id=\"refreshed\"></span></p>")
                .append("<div id=\"problem\" class=\"bad\" hidden></div>")
                .append("<noscript><p class=\"bad\">This page draws itself with a script. Without scripts, read ")
                .append("<a href=\"/api/status\">/api/status</a>.</p></noscript>")
                .append("<h2>Throughput and lag</h2><div id=\"charts\"></div>")
                .append("<h2>Workers</h2><table id=\"workers\"><thead><tr><th>worker</th><th>host</th><th>uptime</th>")
                .append("<th>units</th><th>records/s</th><th>load per capacity</th></tr></thead><tbody></tbody></table>")
                .append("<div id=\"skipped\" class=\"bad\" hidden></div>")
                .append("<h2>Units</h2><p><input id=\"filter\" type=\"search\" size=\"40\" ")
                .append("placeholder=\"filter by unit, source, owner, state or reason\"> ")
                .append("<label><input id=\"attention\" type=\"checkbox\"> only failed, stalled, retrying or skipping</label> ")
                .append("<span id=\"shown\"></span></p>")
                .append("<table id=\"units\"><thead><tr></tr></thead><tbody></tbody></table>")
                .append("<h2>Recent rebalances</h2><table id=\"rebalances\"><thead><tr><th>generation</th><th>at</th>")
                .append("<th>workers</th><th>units</th><th>moved</th><th>znode writes</th><th>decided in</th>")
                .append("<th>moves done in</th><th>reason</th></tr></thead><tbody></tbody></table>")
                .append("<p><a href=\"/api/status\">/api/status</a> · <a href=\"/metrics\">/metrics</a> · ")
                .append("<a href=\"/health\">/health</a></p>")
                .append("<script id=\"status-data\" type=\"application/json\">").append(embedded(status))
                .append("</script><script>").append(SCRIPT).append("</script></body></html>");
        return html.toString();
    }

    /**
     * The document as JSON that cannot close or comment its script element: {@code <}, {@code >}
     * and {@code &} occur in JSON only inside strings, where their {@code \}{@code u} escapes read the same.
     */
    static String embedded(JsonNode status) {
        try {
            return JSON.writeValueAsString(status).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the status document cannot be written as JSON", e);
        }
    }

    private static String resource(String name) {
        try (InputStream in = StatusPage.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the installation lacks " + name + " of the status page; reinstall it");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
