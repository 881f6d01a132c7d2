package owb.http;

import io.javalin.http.BadRequestResponse;
import io.javalin.http.ForbiddenResponse;
import io.javalin.http.NotFoundResponse;
import owb.checkpoint.Checkpoint;
import owb.checkpoint.Checkpoints;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The models the server may open: whatever {@link Checkpoints#discover} finds under the model
 * roots, minus anything whose real path lies outside its root (a symlink out of a root is never
 * listed or opened). Each model gets an id derived from its root and relative path, stable
 * across restarts; ids are the only way the API names a model.
 */
public final class ModelRegistry implements AutoCloseable {

    static final int DISCOVERY_DEPTH = 4;
    static final int MAX_MODELS = 1000;
    private static final long LISTING_TTL_NANOS = 5_000_000_000L;
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,80}");

    /** A model root as given and as it really is on disk (symlinks resolved). */
    private record Root(Path given, Path real) {}

    private record Listing(long takenAtNanos, Map<String, ModelInfo> byId) {}

    private final List<Root> roots;
    private final CheckpointCache openCheckpoints;
    private Listing listing;

    /**
     * @param roots          folders to look for models in; each must exist
     * @param maxOpen        checkpoints kept open at most
     * @param maxMappedBytes summed file size of the checkpoints kept open at most
     */
    public ModelRegistry(List<Path> roots, int maxOpen, long maxMappedBytes) throws IOException {
        List<Root> resolved = new ArrayList<>();
        for (Path root : roots) {
            Path real = root.toRealPath();
            if (!Files.isDirectory(real)) throw new IOException(root + ": not a folder");
            resolved.add(new Root(root.toAbsolutePath().normalize(), real));
        }
        this.roots = List.copyOf(resolved);
        this.openCheckpoints = new CheckpointCache(maxOpen, maxMappedBytes);
    }

    public List<Path> roots() {
        return roots.stream().map(Root::given).toList();
    }

    /** Every model under the roots, rediscovered when the last look is older than a few seconds. */
    public synchronized List<ModelInfo> models() throws IOException {
        if (listing == null || System.nanoTime() - listing.takenAtNanos() > LISTING_TTL_NANOS) {
            listing = new Listing(System.nanoTime(), discover());
        }
        return List.copyOf(listing.byId().values());
    }

    /** The model with this id; 400 for a malformed id, 404 for an unknown one. */
    public ModelInfo model(String id) throws IOException {
        if (id == null || !ID.matcher(id).matches()) throw new BadRequestResponse("malformed model id");
        models();
        ModelInfo model;
        synchronized (this) {
            model = listing.byId().get(id);
        }
        if (model == null) throw new NotFoundResponse("no model with id '" + id + "'");
        return model;
    }

    /**
     * The opened checkpoint of a model, shared with other callers; close the lease when done.
     * The model's path and every file the checkpoint maps are checked to lie inside its root
     * again here, since the disk may have changed since discovery.
     */
    CheckpointCache.Lease open(String id) throws IOException {
        ModelInfo model = model(id);
        requireInsideRoot(model.path(), model);
        CheckpointCache.Lease lease = openCheckpoints.acquire(id, () -> Checkpoints.open(model.path()),
                model.sizeBytes());
        try {
            for (Path file : lease.checkpoint().files()) requireInsideRoot(file, model);
        } catch (RuntimeException | IOException e) {
            lease.close();
            throw e;
        }
        return lease;
    }

    /** A file of a model as clients see it: relative to the model's root, '/'-separated. */
    String relativeName(ModelInfo model, Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        for (Root root : roots) {
            if (root.real().equals(model.root()) && absolute.startsWith(root.given())) {
                return slashed(root.given().relativize(absolute));
            }
        }
        if (absolute.startsWith(model.root())) return slashed(model.root().relativize(absolute));
        return file.getFileName().toString();
    }

    /** A message with the model roots' absolute paths cut off, so the API shows only relative names. */
    String withoutRootPaths(String message) {
        String out = message;
        for (Root root : roots) {
            for (Path p : List.of(root.real(), root.given())) {
                out = out.replace(p + p.getFileSystem().getSeparator(), "");
            }
        }
        return out;
    }

    @Override
    public void close() {
        openCheckpoints.close();
    }

    private Map<String, ModelInfo> discover() throws IOException {
        Map<String, ModelInfo> byId = new LinkedHashMap<>();
        for (Root root : roots) {
            for (Path path : Checkpoints.discover(root.given(), DISCOVERY_DEPTH)) {
                if (byId.size() >= MAX_MODELS) return byId;
                if (!Files.exists(path)) continue; // a dangling symlink
                if (!path.toRealPath().startsWith(root.real())) continue; // a symlink out of the root
                List<Path> weights = weightFiles(path);
                if (!weights.stream().allMatch(w -> w.startsWith(root.real()))) continue; // weights linked from outside
                ModelInfo model = describe(root, path, weights);
                byId.putIfAbsent(model.id(), model);
            }
        }
        return byId;
    }

    private static ModelInfo describe(Root root, Path path, List<Path> weights) throws IOException {
        Path absolute = path.toAbsolutePath().normalize();
        String relative = absolute.startsWith(root.given()) ? slashed(root.given().relativize(absolute))
                : slashed(root.real().relativize(path.toRealPath()));
        String name = displayName(root, absolute);
        String id = slug(name) + "-" + shortHash(root.real() + "\n" + relative);
        boolean gguf = weights.stream().anyMatch(p -> p.getFileName().toString().endsWith(".gguf"))
                && weights.stream().noneMatch(p -> p.getFileName().toString().endsWith(".safetensors"));
        long size = 0;
        for (Path w : weights) size += Files.size(w);
        return new ModelInfo(id, name, root.real(), absolute, relative, gguf ? "gguf" : "safetensors", size);
    }

    /** "ORG/NAME" for a Hugging Face cache folder models--ORG--NAME, else the file or folder name. */
    private static String displayName(Root root, Path path) {
        Path last = path.equals(root.given()) ? root.given().getFileName() : path.getFileName();
        String name = last == null ? "model" : last.toString();
        if (name.startsWith("models--")) {
            String[] parts = name.substring("models--".length()).split("--", 2);
            return parts.length == 2 ? parts[0] + "/" + parts[1] : parts[0];
        }
        return name;
    }

    /**
     * The real paths of the .gguf and .safetensors files at or under path, each once (a Hugging
     * Face cache links every snapshot's files to shared blobs; the names are on the links).
     */
    private static List<Path> weightFiles(Path path) throws IOException {
        Set<Path> seen = new HashSet<>();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(path, DISCOVERY_DEPTH)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                String n = p.getFileName().toString();
                if (!(n.endsWith(".gguf") || n.endsWith(".safetensors")) || !Files.isRegularFile(p)) continue;
                Path real = p.toRealPath();
                if (seen.add(real)) files.add(real);
            }
        }
        return files;
    }

    private static void requireInsideRoot(Path file, ModelInfo model) throws IOException {
        if (!file.toRealPath().startsWith(model.root())) {
            throw new ForbiddenResponse("model '" + model.id() + "' refers to a file outside its model root");
        }
    }

    private static String slug(String name) {
        String s = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (s.length() > 48) s = s.substring(0, 48).replaceAll("-+$", "");
        return s.isEmpty() ? "model" : s;
    }

    private static String shortHash(String s) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static String slashed(Path relative) {
        return relative.toString().replace(relative.getFileSystem().getSeparator(), "/");
    }
}
