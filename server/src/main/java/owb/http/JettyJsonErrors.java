package owb.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Errors Jetty answers itself, before a request reaches Javalin (a malformed URI, an ambiguous
 * path segment, headers too large), as the same JSON body the API uses: {"error": "..."}.
 */
final class JettyJsonErrors extends ErrorHandler {

    private static final ObjectMapper JSON = new ObjectMapper();

    JettyJsonErrors() {
        setShowStacks(false);
        setShowCauses(false);
    }

    @Override
    protected boolean generateAcceptableResponse(Request request, Response response, Callback callback,
                                                 String contentType, List<Charset> charsets, int code,
                                                 String message, Throwable cause) throws IOException {
        return super.generateAcceptableResponse(request, response, callback, "application/json",
                List.of(StandardCharsets.UTF_8), code, message, cause);
    }

    @Override
    protected void writeErrorJson(Request request, PrintWriter writer, int code, String message, Throwable cause) {
        try {
            writer.write(JSON.writeValueAsString(new ApiJson.ApiError(message == null ? "error " + code : message)));
        } catch (JsonProcessingException e) {
            writer.write("{\"error\":\"error " + code + "\"}");
        }
    }
}
