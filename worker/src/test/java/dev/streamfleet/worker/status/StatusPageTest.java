package dev.streamfleet.worker.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StatusPageTest {

    @Test
    void userDataIsEscapedSoThePageCannotBeInjected() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode status = json.createObjectNode().put("application", "app").put("leader", "w1").put("generation", 3);
        status.putArray("workers").addObject().put("id", "w1").put("host", "<img src=x onerror=alert(1)>")
                .put("reachable", true);
        status.putArray("units").addObject().put("unit", "kafka/t/0").put("source", "kafka/t").put("state", "FAILED")
                .put("failure", "processor failed: <script>alert('x')</script>");

        String html = StatusPage.render(status);

        assertThat(html).doesNotContain("<script>alert").doesNotContain("<img src=x")
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;").contains("&lt;img src=x onerror=alert(1)&gt;");
        assertThat(html).contains("<meta http-equiv=\"refresh\" content=\"5\">");
    }

    @Test
    void aStalledUnitIsMarkedWithItsReason() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode status = json.createObjectNode().put("application", "app").put("leader", "w1").put("generation", 3);
        status.putArray("workers");
        status.putArray("units").addObject().put("unit", "kafka/t/0").put("source", "kafka/t").put("owner", "w1")
                .put("state", "READING").put("stalled", "no record processed for 400 s while records wait (bound 300 s)");

        assertThat(StatusPage.render(status)).contains("<td class=\"bad\">READING (STALLED: no record processed for 400 s");
    }

    @Test
    void theChartIsDrawnTheSameOnAHostWhoseLocaleWritesDecimalCommas() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode status = json.createObjectNode().put("application", "app").put("leader", "w1").put("generation", 3);
        status.putArray("workers").addObject().put("id", "w1").put("reachable", true).put("recordsPerSecond", 12.5);
        status.putArray("units");
        var history = status.putArray("history");
        history.addObject().put("recordsPerSecond", 10.25).put("maxMillisBehindLatest", 3.5);
        history.addObject().put("recordsPerSecond", 20.5).put("maxMillisBehindLatest", 7.25);
        history.addObject().put("recordsPerSecond", 15.75).put("maxMillisBehindLatest", 1.0);
        java.util.Locale before = java.util.Locale.getDefault();
        String root = StatusPage.render(status);
        String german;
        try {
            java.util.Locale.setDefault(java.util.Locale.GERMANY);
            german = StatusPage.render(status);
        } finally {
            java.util.Locale.setDefault(before);
        }

        assertThat(german).isEqualTo(root);
        java.util.regex.Matcher points = java.util.regex.Pattern.compile("points=\"([^\"]*)\"").matcher(german);
        assertThat(points.find()).isTrue();
        // x,y pairs separated by spaces, with decimal points: "0.0,53.5 300.0,5.0 600.0,29.0"
        assertThat(points.group(1).strip()).matches("(\\d+\\.\\d,\\d+\\.\\d ?){3}");
        assertThat(german).contains("12.5");
    }
}
