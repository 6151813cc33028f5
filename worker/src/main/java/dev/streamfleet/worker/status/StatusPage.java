package dev.streamfleet.worker.status;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The leader's HTML page, rendered from the status document. Everything that comes from users
 * (stream names, worker ids, failure messages) is escaped. It refreshes itself every 5 s.
 */
final class StatusPage {

    private StatusPage() {
    }

    static String render(JsonNode status) {
        StringBuilder html = new StringBuilder(8_192);
        html.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"refresh\" content=\"5\"><title>streamfleet ")
                .append(escape(status.path("application").asText())).append("</title><style>")
                .append("body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;")
                .append("margin-bottom:1.5em}th,td{padding:.25em .7em;border-bottom:1px solid #ddd;text-align:left;")
                .append("font-size:.9em}th{background:#f4f4f4}.bad{color:#b00}.num{text-align:right}")
                .append("</style></head><body>");
        html.append("<h1>fleet <span id=\"application\">").append(escape(status.path("application").asText()))
                .append("</span></h1><p>leader <b id=\"leader\">").append(escape(status.path("leader").asText("none")))
                .append("</b>, generation <b id=\"generation\">").append(status.path("generation").asLong())
                .append("</b>, as of ").append(escape(status.path("generatedAt").asText())).append("</p>");
        chart(html, status.path("history"));

        html.append("<h2>Workers</h2><table id=\"workers\"><tr><th>worker</th><th>host</th><th>uptime</th>")
                .append("<th>units</th><th>records/s</th><th>load per capacity</th></tr>");
        double heaviest = 0;
        for (JsonNode worker : status.path("workers")) {
            heaviest = Math.max(heaviest, worker.path("load").asDouble() / Math.max(1, worker.path("capacity").asInt(1)));
        }
        for (JsonNode worker : status.path("workers")) {
            html.append("<tr class=\"worker\"><td>").append(escape(worker.path("id").asText())).append("</td><td>")
                    .append(escape(worker.path("host").asText())).append("</td><td class=\"num\">")
                    .append(worker.path("uptimeSeconds").asLong()).append(" s</td><td class=\"num\">")
                    .append(worker.path("units").asInt()).append("</td><td class=\"num\">")
                    .append(worker.path("reachable").asBoolean() ? String.format(java.util.Locale.ROOT, "%.1f", worker.path("recordsPerSecond").asDouble())
                            : "<span class=\"bad\">unreachable</span>")
                    .append("</td><td>").append(loadBar(worker, heaviest)).append("</td></tr>");
        }
        html.append("</table>");

        html.append("<h2>Units</h2><table id=\"units\"><tr><th>unit</th><th>source</th><th>owner</th><th>epoch</th>")
                .append("<th>position</th><th>lag</th><th>records/s</th><th>state</th></tr>");
        for (JsonNode unit : status.path("units")) {
            String state = unit.path("state").asText();
            boolean bad = state.equals("FAILED") || unit.has("stalled")
                    || state.equals("NOT READING") && !unit.path("owner").isTextual();
            html.append("<tr class=\"unit\"><td>").append(escape(unit.path("unit").asText())).append("</td><td>")
                    .append(escape(unit.path("source").asText())).append("</td><td>")
                    .append(escape(unit.path("owner").asText("-"))).append("</td><td>")
                    .append(escape(unit.path("epoch").asText("-"))).append("</td><td title=\"")
                    .append(escape(unit.path("position").asText("-"))).append("\">")
                    .append(escape(shorten(unit.path("position").asText("-")))).append("</td><td class=\"num\">")
                    .append(lag(unit)).append("</td><td class=\"num\">")
                    .append(unit.has("recordsPerSecond") ? String.format(java.util.Locale.ROOT, "%.1f", unit.path("recordsPerSecond").asDouble()) : "-")
                    .append("</td><td").append(bad ? " class=\"bad\"" : "").append(">").append(escape(state));
            if (unit.has("inFlight")) {
                html.append(" (").append(unit.path("inFlight").asLong()).append(" in flight, ")
                        .append(unit.path("busyLanes").asLong()).append(" keys busy)");
            }
            if (unit.has("deadLettered")) {
                html.append(" (").append(unit.path("deadLettered").asLong()).append(" dead-lettered)");
            }
            if (unit.has("stalled")) {
                html.append(" (STALLED: ").append(escape(unit.path("stalled").asText())).append(")");
            }
            if (unit.has("failure")) {
                html.append(": ").append(escape(unit.path("failure").asText()));
            }
            html.append("</td></tr>");
        }
        html.append("</table>");

        html.append("<h2>Recent rebalances</h2><table id=\"rebalances\"><tr><th>generation</th><th>at</th>")
                .append("<th>workers</th><th>units</th><th>moved</th><th>znode writes</th><th>decided in</th>")
                .append("<th>moves done in</th><th>reason</th></tr>");
        for (JsonNode rebalance : status.path("rebalances")) {
            html.append("<tr><td>").append(rebalance.path("generation").asLong()).append("</td><td>")
                    .append(escape(rebalance.path("at").asText())).append("</td><td class=\"num\">")
                    .append(rebalance.path("workers").asInt()).append("</td><td class=\"num\">")
                    .append(rebalance.path("units").asInt()).append("</td><td class=\"num\">")
                    .append(rebalance.path("moved").asInt()).append(moved(rebalance.path("movedUnits")))
                    .append("</td><td class=\"num\">")
                    .append(rebalance.path("writes").asInt()).append("</td><td class=\"num\">")
                    .append(rebalance.path("tookMillis").asLong()).append(" ms</td><td class=\"num\">")
                    .append(rebalance.path("settledMillis").isNumber() ? rebalance.path("settledMillis").asLong() + " ms"
                            : "pending").append("</td><td>").append(escape(rebalance.path("reason").asText()))
                    .append("</td></tr>");
        }
        html.append("</table><p><a href=\"/api/status\">/api/status</a> · <a href=\"/metrics\">/metrics</a> · ")
                .append("<a href=\"/health\">/health</a></p></body></html>");
        return html.toString();
    }

    /**
     * A worker's measured load against its capacity: a bar as long as its load per unit of
     * capacity against the most loaded worker's, and the figures (busy processor-seconds per second).
     */
    private static String loadBar(JsonNode worker, double heaviest) {
        int capacity = Math.max(1, worker.path("capacity").asInt(1));
        double load = worker.path("load").asDouble();
        int width = heaviest <= 0 ? 0 : (int) Math.round(100 * load / capacity / heaviest);
        return String.format(java.util.Locale.ROOT,
                "<span class=\"bar\" style=\"display:inline-block;height:0.8em;background:#4a7;width:%dpx\"></span>"
                        + " %.2f (capacity %d)", width, load, capacity);
    }

    private static void chart(StringBuilder html, JsonNode history) {
        int points = history.size();
        html.append("<h2>Throughput and lag</h2>");
        if (points < 2) {
            html.append("<p>(collecting; a point every 5 s)</p>");
            return;
        }
        double maxRate = 1;
        double maxLag = 1;
        for (JsonNode point : history) {
            maxRate = Math.max(maxRate, point.path("recordsPerSecond").asDouble());
            maxLag = Math.max(maxLag, point.path("maxMillisBehindLatest").asDouble());
        }
        StringBuilder rate = new StringBuilder();
        StringBuilder lag = new StringBuilder();
        int i = 0;
        for (JsonNode point : history) {
            double x = 600.0 * i / (points - 1);
            rate.append(String.format(java.util.Locale.ROOT, "%.1f,%.1f ", x, 100 - 95 * point.path("recordsPerSecond").asDouble() / maxRate));
            lag.append(String.format(java.util.Locale.ROOT, "%.1f,%.1f ", x, 100 - 95 * point.path("maxMillisBehindLatest").asDouble() / maxLag));
            i++;
        }
        html.append("<svg id=\"chart\" width=\"600\" height=\"100\" style=\"border:1px solid #ddd\">")
                .append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"").append(rate).append("\"/>")
                .append("<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"1\" points=\"").append(lag).append("\"/>")
                .append("</svg><p><span style=\"color:#1f77b4\">records/s</span> (max ")
                .append(String.format(java.util.Locale.ROOT, "%.0f", maxRate)).append(") and <span style=\"color:#d62728\">max ms behind latest</span>")
                .append(" (max ").append(String.format(java.util.Locale.ROOT, "%.0f", maxLag)).append("), last ").append(points * 5).append(" s</p>");
    }

    /** The moved units as a tooltip-free short list: "(a, b, c, …)". */
    private static String moved(JsonNode units) {
        if (!units.isArray() || units.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder(" <small>(");
        int shown = 0;
        for (JsonNode unit : units) {
            if (shown == 5) {
                out.append(", …");
                break;
            }
            out.append(shown++ == 0 ? "" : ", ").append(escape(unit.asText()));
        }
        return out.append(")</small>").toString();
    }

    private static String lag(JsonNode unit) {
        if (unit.has("millisBehindLatest")) {
            return unit.path("millisBehindLatest").asLong() + " ms";
        }
        if (unit.has("offsetLag")) {
            return unit.path("offsetLag").asLong() + " records";
        }
        return "-";
    }

    private static String shorten(String position) {
        return position.length() <= 28 ? position : position.substring(0, 12) + "…" + position.substring(position.length() - 12);
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
