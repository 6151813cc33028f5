package dev.streamfleet.worker.internal.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StatusPageTest {

    private final ObjectMapper json = new ObjectMapper();

    @Test
    void userDataCannotEndTheEmbeddedDocumentAndRunAsScript() throws Exception {
        ObjectNode status = json.createObjectNode().put("application", "app</title><script>alert(1)</script>")
                .put("leader", "w1").put("generation", 3);
        status.putArray("workers").addObject().put("id", "w1").put("host", "<img src=x onerror=alert(1)>");
        status.putArray("units").addObject().put("unit", "kafka/t/0").put("state", "FAILED")
                .put("failure", "processor failed: </script><script>alert('x')</script><!--");

        String html = StatusPage.render(status);

        String data = html.substring(html.indexOf("<script id=\"status-data\" type=\"application/json\">"));
        data = data.substring(data.indexOf('>') + 1, data.indexOf("</script>"));
        assertThat(data).doesNotContain("<").doesNotContain(">");
        assertThat(json.readTree(data)).as("the browser's JSON.parse reads the document unchanged").isEqualTo(status);
        assertThat(html).contains("<title>streamfleet app&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>")
                .doesNotContain("<img src=x").doesNotContain("<script>alert");
    }

    @Test
    void thePageRefreshesItselfInPlaceInsteadOfReloading() {
        String html = StatusPage.render(json.createObjectNode().put("application", "app"));

        assertThat(html).doesNotContain("http-equiv=\"refresh\"").contains("fetch('/api/status'")
                .contains("<table id=\"units\">").contains("<div id=\"charts\">");
    }
}
