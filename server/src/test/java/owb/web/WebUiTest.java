package owb.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import owb.http.OwbServer;
import owb.http.ServerOptions;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The web UI in a real browser: Debian's headless Chromium driven through chromedriver against a
 * real OwbServer on loopback, serving web/ and the sample models (the tiny fixtures of
 * -Dowb.fixtures, SmolLM2 of -Dowb.smollm2 when given). Each view loads, shows what it should,
 * answers a bad input with a readable message, and leaves a screenshot in target/screenshots/.
 * Skipped when chromium or chromedriver is missing (samples/test-all.sh installs them).
 */
class WebUiTest {

    private static final Path CHROMIUM = Path.of(System.getProperty("owb.chromium", "/usr/bin/chromium"));
    private static final Path CHROMEDRIVER = Path.of(System.getProperty("owb.chromedriver", "/usr/bin/chromedriver"));
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final Duration WAIT = Duration.ofSeconds(90); // a shared CI machine can be slow
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String PROMPT = "The capital of France is Paris. The capital of France is";

    /** Selenium looks for a DevTools binding matching the browser's version and warns; these tests need none. */
    private static final java.util.logging.Logger DEVTOOLS_LOG = java.util.logging.Logger.getLogger("org.openqa.selenium.devtools");

    static OwbServer server;
    static ChromeDriver browser;
    static WebDriverWait wait;
    static JsonNode models;

    @BeforeAll
    static void start() throws IOException {
        DEVTOOLS_LOG.setLevel(java.util.logging.Level.SEVERE);
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "no " + CHROMIUM + " or " + CHROMEDRIVER + ": apt-get install chromium chromium-driver");
        Path fixtures = fixtures();
        assumeTrue(Files.isDirectory(fixtures.resolve("models")) && Files.isDirectory(fixtures.resolve("diff")),
                "no sample models: run samples/make_fixtures.py or pass -Dowb.fixtures");
        List<Path> roots = new ArrayList<>(List.of(fixtures.resolve("models"), fixtures.resolve("diff")));
        // -Dowb.smollm2 names the GGUF file (as ./owb test sets it) or its folder
        String smol = System.getProperty("owb.smollm2");
        if (smol != null && Files.exists(Path.of(smol))) {
            roots.add(Files.isDirectory(Path.of(smol)) ? Path.of(smol) : Path.of(smol).toAbsolutePath().getParent());
        }
        // the demo's fine-tune of SmolLM2, served from its parent so that it is "smollm2-finetune/..."
        String finetune = System.getProperty("owb.smollm2.finetune");
        if (smol != null && finetune != null && Files.isRegularFile(Path.of(finetune, "derivative.gguf"))) {
            roots.add(Path.of(finetune).toAbsolutePath().getParent());
        }
        Path web = webFolder();
        server = OwbServer.start(new ServerOptions(ServerOptions.LOOPBACK, 0, roots, web, 4096,
                ServerOptions.DEFAULT_RUN_CACHE_MEGABYTES, web.resolveSibling("probes")));
        assertTrue(server.servesWebUi());
        models = getJson("/api/models");

        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1440,960", "--hide-scrollbars", "--force-device-scale-factor=1");
        options.setCapability("goog:loggingPrefs", java.util.Map.of("browser", "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, WAIT);
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.quit();
        if (server != null) server.close();
    }

    /** No script error in the page's console (failed requests are expected: the tests ask for some). */
    @AfterEach
    void noScriptErrors() {
        if (browser == null) return;
        List<LogEntry> all = browser.manage().logs().get(LogType.BROWSER).getAll();
        List<String> errors = all.stream()
                .filter(e -> e.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .filter(m -> !m.contains("Failed to load resource"))
                .toList();
        assertTrue(errors.isEmpty(), "script errors: " + errors);
    }

    @Test
    void modelsViewListsTheModelsAndShowsAnArchitectureCard() throws Exception {
        String llama = modelId("llama");
        open("#/models?model=" + llama);
        WebElement card = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("arch-card")));
        String text = card.getText();
        assertTrue(text.contains("family\nllama") || text.contains("family llama"), text);
        assertTrue(text.contains("layers"), text);
        assertTrue(text.contains("512"), "vocabulary: " + text);
        assertFalse(browser.findElements(By.cssSelector("tr[data-model='" + modelId("base") + "']")).isEmpty());
        screenshot("models");
        Optional<String> smol = smolLM2();
        if (smol.isPresent()) { // a released model's card: GGUF metadata instead of config.json
            open("#/models?model=" + smol.get());
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("arch-card"), "134,515,008"));
            assertTrue(browser.findElement(By.id("arch-card")).getText().contains("Q4_1"));
            screenshot("models");
        }
    }

    @Test
    void anUnknownModelInTheUrlGetsAReadableMessage() throws Exception {
        open("#/tensors?model=no-such-model");
        WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".error")));
        assertTrue(error.getText().contains("no model with id 'no-such-model'"), error.getText());
        screenshot("error-unknown-model");
    }

    @Test
    void tensorsViewAuditsAndOpensATensor() throws Exception {
        String llama = modelId("llama");
        open("#/tensors?model=" + llama + "&tensor=model.layers.0.self_attn.q_proj.weight");
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-tensor='model.embed_tokens.weight']")));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".audit"), "audit done"));
        WebElement export = browser.findElement(By.id("export-report"));
        assertTrue(export.getAttribute("href").contains("/audit-report.html?job="), export.getAttribute("href"));
        assertTrue(browser.getCurrentUrl().contains("job="), "the audit's job is in the URL: " + browser.getCurrentUrl());
        // the selected tensor's detail: statistics, histogram, heatmap and spectrum
        wait.until(ExpectedConditions.textToBe(By.id("detail-name"), "model.layers.0.self_attn.q_proj.weight"));
        wait.until(d -> loaded(d.findElement(By.cssSelector("img.heatmap"))) && loaded(d.findElement(By.cssSelector("img.histogram"))));
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#tensor-detail canvas.spectrum")));
        // the statistics columns filled in from the audit
        WebElement row = browser.findElement(By.cssSelector("tr[data-tensor='model.embed_tokens.weight']"));
        assertFalse(row.findElements(By.tagName("td")).get(4).getText().equals("–"), row.getText());
        screenshot("tensors");
        // filter and sort
        WebElement filter = browser.findElement(By.cssSelector("input[type=search]"));
        filter.sendKeys("q_proj");
        wait.until(d -> d.findElements(By.cssSelector(".tensor-table tbody tr")).size() == 2);
        browser.findElement(By.xpath("//th[normalize-space()='abs max']")).click();
        wait.until(d -> d.getCurrentUrl().contains("sort=abs_max"));
        // clicking another row selects it and the URL follows
        browser.findElement(By.cssSelector("tr[data-tensor='model.layers.1.self_attn.q_proj.weight']")).click();
        wait.until(ExpectedConditions.textToBe(By.id("detail-name"), "model.layers.1.self_attn.q_proj.weight"));
        assertTrue(browser.getCurrentUrl().contains("tensor=model.layers.1.self_attn.q_proj.weight"));
        Optional<String> smol = smolLM2();
        if (smol.isPresent()) { // a quantized release: Q4_1 blocks dequantized for the heatmap and spectrum
            open("#/tensors?model=" + smol.get() + "&tensor=blk.0.attn_q.weight");
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".audit"), "audit done"));
            wait.until(d -> loaded(d.findElement(By.cssSelector("img.heatmap"))));
            wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#tensor-detail canvas.spectrum")));
            screenshot("tensors");
        }
    }

    @Test
    void anEmptyPromptGetsAReadableMessage() throws Exception {
        open("#/attention?model=" + modelId("llama"));
        WebElement run = wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("#attention-form button.run")));
        run.click();
        WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#view-attention .error")));
        assertTrue(error.getText().contains("Type a prompt first"), error.getText());
        screenshot("error-empty-prompt");
    }

    @Test
    void attentionViewDrawsEveryHeadAndOpensOne() throws Exception {
        JsonNode run = runnableModel();
        String model = run.get("model").asText();
        int cells = run.get("n_layers").asInt() * run.get("n_heads").asInt();
        // the head that scores highest on induction (the prompt repeats itself)
        JsonNode best = null;
        for (JsonNode head : getJson("/api/runs/" + run.get("run_id").asText() + "/attention").get("heads")) {
            if (best == null || head.get("induction").asDouble() > best.get("induction").asDouble()) best = head;
        }
        String layer = best.get("layer").asText(), headIndex = best.get("head").asText();
        open("#/attention?model=" + model + "&prompt=" + encode(PROMPT) + "&score=induction&layer=" + layer + "&head=" + headIndex);
        wait.until(d -> d.findElements(By.cssSelector("canvas.thumb")).size() == cells);
        WebElement tokens = browser.findElement(By.id("tokens"));
        assertEquals(run.get("tokens").size(), tokens.findElements(By.cssSelector(".token")).size());
        wait.until(ExpectedConditions.textToBe(By.id("head-title"), "Layer " + layer + ", head " + headIndex));
        WebElement head = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("head-view")));
        assertEquals(run.get("tokens").size(), head.findElements(By.cssSelector(".col.left .tok")).size());
        assertTrue(painted(browser.findElement(By.cssSelector("canvas.thumb"))), "a thumbnail has a pattern drawn");
        // hovering a query token highlights the keys it attends to
        new org.openqa.selenium.interactions.Actions(browser)
                .moveToElement(head.findElements(By.cssSelector(".col.left .tok")).getLast()).perform();
        wait.until(d -> head.findElements(By.cssSelector(".col.right .tok")).stream()
                .anyMatch(t -> !t.getCssValue("background-color").equals("rgba(0, 0, 0, 0)")));
        screenshot("attention");
        // another head from the grid
        browser.findElement(By.cssSelector("canvas.thumb[data-layer='0'][data-head='0']")).click();
        wait.until(ExpectedConditions.textToBe(By.id("head-title"), "Layer 0, head 0"));
        assertTrue(browser.getCurrentUrl().contains("layer=0") && browser.getCurrentUrl().contains("head=0"));
        // a head the model does not have, from a hand-edited URL
        open("#/attention?model=" + model + "&prompt=" + encode(PROMPT) + "&layer=99&head=0");
        WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#head-view-card .error")));
        assertTrue(error.getText().contains("no layer 99"), error.getText());
    }

    @Test
    void lensViewWritesTheTopTokenInEachCell() throws Exception {
        JsonNode run = runnableModel();
        String model = run.get("model").asText();
        JsonNode lens = getJson("/api/runs/" + run.get("run_id").asText() + "/lens?top=5");
        JsonNode last = lens.get("rows").get(lens.get("rows").size() - 1);
        open("#/lens?model=" + model + "&prompt=" + encode(PROMPT));
        By cell = By.cssSelector("#lens-grid td[data-layer='" + last.get("layer").asInt() + "'][data-position='"
                + last.get("position").asInt() + "']");
        WebElement td = wait.until(ExpectedConditions.presenceOfElementLocated(cell));
        String top = last.get("top").get(0).get("text").asText();
        assertEquals(visible(top), td.getText());
        td.click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("lens-detail")));
        assertTrue(browser.getCurrentUrl().contains("cell="), browser.getCurrentUrl());
        screenshot("lens");
        // a target colours by its probability
        open("#/lens?model=" + model + "&prompt=" + encode(PROMPT) + "&target=" + encode(" Paris") + "&mode=target");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("lens-card"), "Target"));
        // a target id outside the vocabulary
        open("#/lens?model=" + model + "&prompt=" + encode(PROMPT) + "&target=" + encode("#99999999"));
        WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#view-lens .error")));
        assertTrue(error.getText().contains("99999999"), error.getText());
    }

    @Test
    void diffViewShowsTheHeatmapAndACellsTensors() throws Exception {
        assumeTrue(routeExists("POST", "/api/diffs"), "the diffs API is not on this branch yet");
        // the behavioural diff needs a tokenizer beside the fixture pair (samples/make_diff_fixtures.py writes one)
        boolean withPrompt = Files.isRegularFile(fixtures().resolve("diff/base/tokenizer.json"));
        open("#/diff?base=" + modelId("base") + "&derivative=" + modelId("derivative")
                + (withPrompt ? "&prompt=" + encode(PROMPT) : ""));
        WebElement grid = wait.until(ExpectedConditions.presenceOfElementLocated(By.id("diff-grid")));
        openMostChangedTensor(grid);
        assertTrue(browser.getCurrentUrl().contains("cell="), browser.getCurrentUrl());
        if (withPrompt) {
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("diff-behaviour")));
        }
        screenshot("diff");
        Optional<String> smol = smolLM2();
        Optional<String> tuned = models.findValues("path").stream().map(JsonNode::asText)
                .filter(p -> p.equals("smollm2-finetune/derivative.gguf")).findFirst().map(WebUiTest::modelId);
        if (smol.isPresent() && tuned.isPresent()) { // a released model against its (sample) fine-tune, both GGUF
            open("#/diff?base=" + smol.get() + "&derivative=" + tuned.get() + "&prompt=" + encode(PROMPT));
            WebElement smolGrid = wait.until(ExpectedConditions.presenceOfElementLocated(By.id("diff-grid")));
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("diff-behaviour")));
            openMostChangedTensor(smolGrid);
            screenshot("diff");
        }
    }

    /** Clicks the heatmap's cell that changed most, then its first changed tensor; waits for the spectrum. */
    private static void openMostChangedTensor(WebElement grid) {
        WebElement most = wait.until(d -> grid.findElements(By.cssSelector("td[data-layer]")).stream()
                .filter(td -> !td.getText().equals("0"))
                .max(java.util.Comparator.comparingDouble(td -> Double.parseDouble(td.getText()))).orElse(null));
        most.click();
        WebElement cell = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("diff-cell")));
        WebElement changed = wait.until(d -> cell.findElements(By.cssSelector("tr[data-tensor]")).stream()
                .filter(tr -> tr.getText().contains("changed") && !tr.getText().contains("unchanged")).findFirst().orElse(null));
        String tensor = changed.getAttribute("data-tensor");
        changed.click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("diff-cell"), "Spectrum of Δ " + tensor));
    }

    @Test
    void diffViewSaysSoWhenTheModelsCannotBeCompared() throws Exception {
        assumeTrue(routeExists("POST", "/api/diffs"), "the diffs API is not on this branch yet");
        open("#/diff?base=" + modelId("base") + "&derivative=no-such-model");
        WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#view-diff .error")));
        assertTrue(error.getText().contains("no-such-model"), error.getText());
    }

    @Test
    void probesViewRunsASuiteAndShowsItsReport() throws Exception {
        String model = smolLM2().orElse(modelId("llama"));
        open("#/probes?model=" + model);
        WebElement run = wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("button[data-suite='induction']")));
        run.click();
        WebElement report = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("probe-report")));
        wait.until(ExpectedConditions.textToBePresentInElement(report, "Expectations:"));
        assertTrue(report.getText().contains("top_heads"), report.getText());
        assertTrue(browser.getCurrentUrl().contains("suite=induction") && browser.getCurrentUrl().contains("job="),
                browser.getCurrentUrl());
        screenshot("probes");
        // a suite that is not there, from a hand-edited URL
        open("#/probes?model=" + model + "&suite=no-such-suite");
        WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#probe-report .error")));
        assertTrue(error.getText().contains("no probe suite 'no-such-suite'"), error.getText());
    }

    @Test
    void patchingViewDrawsTheGridsAndExplainsPromptsOfDifferentLengths() throws Exception {
        assumeTrue(routeExists("POST", "/api/patching"), "the patching API is not on this branch yet");
        Optional<String> smol = smolLM2();
        // a short IOI pair on SmolLM2 (8 tokens each); else the diff fixture's base, whose tokenizer is byte-level
        assumeTrue(smol.isPresent() || Files.isRegularFile(fixtures().resolve("diff/base/tokenizer.json")),
                "no model with a tokenizer: pass -Dowb.smollm2 or run samples/make_diff_fixtures.py");
        String model = smol.orElse(modelId("base"));
        String clean = smol.isPresent() ? "When Mary and John left, John thanked" : "xay";
        String corrupted = smol.isPresent() ? "When Mary and John left, Mary thanked" : "xby";
        String answer = smol.isPresent() ? " Mary" : "a", wrong = smol.isPresent() ? " John" : "b";
        open("#/patching?model=" + model);
        WebElement form = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("patching-form")));
        assertFalse(form.findElement(By.name("clean")).getAttribute("value").isEmpty(), "an example is filled in");
        for (String[] field : new String[][] {{"clean", clean}, {"corrupted", corrupted}, {"answer", answer}, {"wrong", wrong}}) {
            WebElement input = form.findElement(By.name(field[0]));
            input.clear();
            input.sendKeys(field[1]);
        }
        form.findElement(By.cssSelector("button.run")).click();
        WebElement cell = wait.until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#patching-attn_out td[data-layer='0'][data-column='0']")));
        double value = Double.parseDouble(cell.getAttribute("data-value"));
        // layer 0's residual stream at the one differing position is the whole difference: it restores the clean run
        List<String> written = browser.findElements(By.cssSelector("#patching-resid_pre td[data-layer='0']")).stream()
                .map(WebElement::getText).filter(t -> !t.isEmpty()).toList();
        assertEquals(List.of("1.0"), written);
        assertFalse(browser.findElements(By.cssSelector("#patching-heads td[data-layer='0'][data-column='0']")).isEmpty());
        Double.parseDouble(browser.findElement(By.id("clean-logit-diff")).getText());
        String url = browser.getCurrentUrl();
        assertTrue(url.contains("model=" + model) && url.contains("clean=") && url.contains("job="), url);
        new org.openqa.selenium.interactions.Actions(browser).moveToElement(cell).perform();
        WebElement tip = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".tooltip")));
        assertTrue(tip.getText().contains("patched value " + number(value)), tip.getText() + " vs " + value);
        if (smol.isPresent()) { // the picture: the IOI example the view starts with, all four grids in sight
            open("#/patching?model=" + model);
            wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("#patching-form button.run"))).click();
            wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#patching-heads td[data-layer='0']")));
            org.openqa.selenium.Dimension size = browser.manage().window().getSize();
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(size.getWidth(), 1560));
            try {
                screenshot("patching");
            } finally {
                browser.manage().window().setSize(size);
            }
        } else {
            screenshot("patching");
        }
        // prompts of different token lengths: the job fails and says why
        open("#/patching?model=" + model + "&clean=" + encode(clean) + "&corrupted=" + encode(clean + clean)
                + "&answer=" + encode(answer) + "&wrong=" + encode(wrong));
        WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#view-patching .error")));
        assertTrue(error.getText().contains("must be as long"), error.getText());
    }

    // --- helpers ---

    /** Loads the page afresh at this view (a bare hash change would keep the last view's elements). */
    private static void open(String hash) {
        browser.get("about:blank");
        browser.get(server.url() + "/" + hash);
    }

    private static boolean loaded(WebElement img) {
        Object width = ((JavascriptExecutor) browser).executeScript(
                "return arguments[0].complete ? arguments[0].naturalWidth : 0", img);
        return width instanceof Number n && n.intValue() > 0;
    }

    /** Whether a canvas has any pixel that is not white. */
    private static boolean painted(WebElement canvas) {
        Object result = ((JavascriptExecutor) browser).executeScript("""
                const c = arguments[0], d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                for (let i = 0; i < d.length; i += 4) if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) return true;
                return false;""", canvas);
        return Boolean.TRUE.equals(result);
    }

    /** A number as ui.js num(x, 4) writes it between 1e-3 and 1e5 (and 0 as "0"). */
    private static String number(double x) {
        if (x == 0 || Math.abs(x) < 1e-3) return x == 0 ? "0" : "";
        return new java.math.BigDecimal(x).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
    }

    /** A token's text as the UI writes it (ui.js tokenText). */
    private static String visible(String text) {
        if (text.isEmpty()) return "∅";
        return text.replace(" ", "·").replace("\n", "⏎").replace("\t", "⇥").replace("\r", "␍");
    }

    private static void screenshot(String view) throws IOException {
        Files.write(SCREENSHOTS.resolve(view + ".png"), browser.getScreenshotAs(OutputType.BYTES));
    }

    private static String modelId(String path) {
        for (JsonNode m : models) if (m.get("path").asText().equals(path)) return m.get("id").asText();
        throw new AssertionError("no model at " + path + " in " + models);
    }

    private static Path fixtures() {
        return Path.of(System.getProperty("owb.fixtures", "../samples/generated"));
    }

    private static Optional<String> smolLM2() {
        for (JsonNode m : models) {
            if (m.get("path").asText().startsWith("SmolLM2-135M-Instruct")) return Optional.of(m.get("id").asText());
        }
        return Optional.empty();
    }

    /** A run of the prompt on SmolLM2 when it is there, else on the first fixture model that tokenizes text. */
    private static JsonNode runnableModel() throws Exception {
        assumeTrue(routeExists("POST", "/api/runs"), "the runs API is not on this branch yet");
        List<String> candidates = new ArrayList<>();
        smolLM2().ifPresent(candidates::add);
        for (JsonNode m : models) candidates.add(m.get("id").asText());
        for (String id : candidates) {
            Optional<JsonNode> run = post("/api/runs", "{\"model\":\"" + id + "\",\"prompt\":" + JSON.writeValueAsString(PROMPT) + "}");
            if (run.isPresent()) return run.get();
        }
        throw new AssertionError("no sample model runs a text prompt");
    }

    private static boolean routeExists(String method, String path) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(30));
        request = method.equals("POST") ? request.header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")) : request.GET();
        HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() != 404 && r.statusCode() != 405;
    }

    private static Optional<JsonNode> post(String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + path))
                .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() / 100 == 2 ? Optional.of(JSON.readTree(r.body())) : Optional.empty();
    }

    private static JsonNode getJson(String path) throws IOException {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.url() + path))
                    .timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), path + " " + r.body());
            return JSON.readTree(r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** web/ of this checkout: the tests run in server/, the UI lives beside it. */
    private static Path webFolder() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("web/index.html"))) return dir.resolve("web");
        }
        throw new AssertionError("no web/index.html above " + Path.of("").toAbsolutePath());
    }
}
