package owb.audit;

import owb.checkpoint.Checkpoint;
import owb.checkpoint.DType;
import owb.checkpoint.TensorEntry;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The checks an audit runs over a measured checkpoint, each producing findings:
 * <ul>
 *   <li>NaN or Inf values: error.</li>
 *   <li>An all-zero tensor: warning; info for a bias, which is legitimately zero when a model
 *       was trained without biases or saved at initialisation.</li>
 *   <li>Tensors with identical bytes (the same dtype, size, range, zero, NaN and Inf counts and
 *       histogram, then a byte comparison): warning; info when it
 *       is the token embedding and the output projection (tied embeddings stored twice). Constant
 *       tensors (norms at their initial 1.0) and non-parameter buffers are left out: they are
 *       equal by construction.</li>
 *   <li>Tied embeddings (output projection absent and declared or implied tied): info.</li>
 *   <li>Against the declared architecture (gpt2 and llama): a missing tensor or a shape that
 *       disagrees is an error, a tensor the architecture does not have a warning.</li>
 *   <li>Mixed dtypes: info with the count of each (F32 norms beside quantized matrices is how
 *       GGUF files are made).</li>
 *   <li>Parameter count against the one declared, or else against the architecture's formula:
 *       info, warning when more than 1% off.</li>
 *   <li>Outliers, in floating-point tensors: a value more than {@value #OUTLIER_SIGMAS} standard
 *       deviations from the mean, or a magnitude above {@value #IMPLAUSIBLE_MAGNITUDE}: warning.</li>
 * </ul>
 */
final class CheckpointFindings {

    /**
     * Trained weights stay far inside this: SmolLM2-135M's most extreme value is 51 std from its
     * tensor's mean (a "super weight" in blk.27.ffn_gate), Gaussian tails never pass 10. A flipped
     * exponent bit or a mis-scaled row lands far beyond. By Samuelson's inequality no value can lie
     * more than sqrt(n - 1) std from the mean, so this rule speaks only for tensors above 10^4
     * elements; the magnitude rule covers small ones.
     */
    static final double OUTLIER_SIGMAS = 100;
    /** No trained weight is near this (F16 overflows at 65504); a corrupted one often is far beyond. */
    static final double IMPLAUSIBLE_MAGNITUDE = 1e4;
    /** Findings of one kind listed one by one before the rest are summed up in one. */
    static final int LISTED_PER_KIND = 20;

    private final Checkpoint checkpoint;
    private final List<TensorEntry> tensors;
    private final Map<String, TensorStats> measured = new HashMap<>();
    private final Optional<Architecture> architecture;
    private final Set<String> buffers = new HashSet<>();
    private final List<Finding> findings = new ArrayList<>();

    private CheckpointFindings(Checkpoint checkpoint, List<TensorEntry> tensors,
                               List<TensorStats> measurements, Optional<Architecture> architecture) {
        this.checkpoint = checkpoint;
        this.tensors = tensors;
        for (int i = 0; i < tensors.size(); i++) measured.put(tensors.get(i).name(), measurements.get(i));
        this.architecture = architecture;
        architecture.ifPresent(a -> a.expectedTensors(checkpoint).stream()
                .filter(t -> t.kind() == Architecture.Kind.BUFFER).forEach(t -> buffers.add(t.name())));
    }

    /** Every finding, errors first, then warnings, then info; in check order within each. */
    static List<Finding> of(Checkpoint c, List<TensorEntry> tensors, List<TensorStats> measurements,
                            Optional<Architecture> architecture) {
        CheckpointFindings f = new CheckpointFindings(c, tensors, measurements, architecture);
        f.checkArchitecture();
        f.checkValues();
        f.checkDuplicatesAndTiedEmbeddings();
        f.checkDtypes();
        f.checkParameterCount();
        List<Finding> sorted = new ArrayList<>(f.findings);
        sorted.sort(Comparator.comparing(Finding::severity));
        return sorted;
    }

    private TensorStats stats(String name) { return measured.get(name); }

    private void checkValues() {
        for (TensorEntry t : tensors) {
            TensorStats s = stats(t.name());
            String name = t.name();
            if (s.hasNonFinite()) {
                findings.add(Finding.error(name, nonFiniteMessage(s)));
            }
            if (t.numel() > 0 && s.zeroFraction() == 1.0) {
                if (isBias(name)) {
                    findings.add(Finding.info(name, "all zeros: a bias left at zero (trained without biases or never trained)"));
                } else {
                    findings.add(Finding.warning(name, "all zeros: every one of its " + count(t.numel()) + " values is 0"));
                }
            }
            if (t.dtype().floatingPoint() && !buffers.contains(name)) checkOutlier(name, s);
        }
    }

    private static String nonFiniteMessage(TensorStats s) {
        List<String> parts = new ArrayList<>();
        if (s.nanCount() > 0) parts.add(count(s.nanCount()) + " NaN");
        if (s.infCount() > 0) parts.add(count(s.infCount()) + " infinite");
        return String.join(" and ", parts) + " values (of " + count(s.elements()) + ")";
    }

    private void checkOutlier(String name, TensorStats s) {
        if (s.count() < 2) return;
        double extreme = s.max() - s.mean() >= s.mean() - s.min() ? s.max() : s.min();
        double sigmas = s.std() > 0 ? Math.abs(extreme - s.mean()) / s.std() : 0;
        if (sigmas > OUTLIER_SIGMAS) {
            findings.add(Finding.warning(name, String.format(Locale.ROOT,
                    "outlier: value %.6g is %.0f std from the mean (mean %.4g, std %.4g)", extreme, sigmas, s.mean(), s.std())));
        } else if (s.absMax() > IMPLAUSIBLE_MAGNITUDE) {
            findings.add(Finding.warning(name, String.format(Locale.ROOT,
                    "implausible magnitude: abs_max %.4g is beyond anything a trained weight holds (> %.0e)",
                    s.absMax(), IMPLAUSIBLE_MAGNITUDE)));
        }
    }

    private static boolean isBias(String name) { return name.endsWith("bias"); }

    // ---- identical tensors, tied embeddings ----

    private void checkDuplicatesAndTiedEmbeddings() {
        Optional<EmbeddingPair> embeddingPair = embeddingPair();
        Map<ContentKey, List<TensorEntry>> byContent = new LinkedHashMap<>();
        for (TensorEntry t : tensors) {
            TensorStats s = stats(t.name());
            boolean constant = s.count() == t.numel() && s.min() == s.max();
            if (constant || buffers.contains(t.name()) || t.numel() == 0) continue;
            byContent.computeIfAbsent(ContentKey.of(t, s), k -> new ArrayList<>()).add(t);
        }
        boolean tiedPairIdentical = false;
        for (List<TensorEntry> group : byContent.values()) {
            for (List<TensorEntry> same : identicalSubgroups(group)) {
                TensorEntry first = same.getFirst();
                for (TensorEntry other : same.subList(1, same.size())) {
                    if (embeddingPair.isPresent() && embeddingPair.get().is(first.name(), other.name())) {
                        tiedPairIdentical = true;
                        findings.add(Finding.info(other.name(), "tied embeddings stored twice: identical to " + first.name()));
                    } else {
                        findings.add(Finding.warning(other.name(), "identical to " + first.name()
                                + " (same " + first.dtype().label() + " bytes, " + first.shapeString() + ")"));
                    }
                }
            }
        }
        checkTiedEmbeddings(embeddingPair, tiedPairIdentical);
    }

    /**
     * What byte-identical tensors share, whatever order the kernels summed their values in: dtype,
     * size, and the statistics that are counts or extremes. Tensors with equal keys are candidates,
     * confirmed by comparing bytes; the hashing this replaces cost BF16 audits a third of their speed.
     */
    private record ContentKey(DType dtype, long byteSize, long count, long nans, long infs, double zeroFraction,
                              double min, double max, List<Long> histogram) {
        static ContentKey of(TensorEntry t, TensorStats s) {
            return new ContentKey(t.dtype(), t.byteSize(), s.count(), s.nanCount(), s.infCount(), s.zeroFraction(),
                    s.min(), s.max(), Arrays.stream(s.histogram().counts()).boxed().toList());
        }
    }

    /**
     * Candidates compared pairwise, byte for byte; a larger group is first split by a hash of each
     * tensor's bytes, so that a file of many tensors with equal statistics but different bytes costs
     * one read of each, not one per pair.
     */
    static final int PAIRWISE_LIMIT = 8;

    /** Groups of byte-identical tensors among candidates with equal keys. */
    static List<List<TensorEntry>> identicalSubgroups(List<TensorEntry> candidates) {
        if (candidates.size() <= PAIRWISE_LIMIT) return byComparison(candidates);
        Map<Long, List<TensorEntry>> byHash = new LinkedHashMap<>();
        for (TensorEntry t : candidates) byHash.computeIfAbsent(ContentHash.of(t.data()), h -> new ArrayList<>()).add(t);
        List<List<TensorEntry>> groups = new ArrayList<>();
        for (List<TensorEntry> sameHash : byHash.values()) groups.addAll(byComparison(sameHash));
        return groups;
    }

    /** Groups of byte-identical tensors, by comparing each with one member of every group so far. */
    private static List<List<TensorEntry>> byComparison(List<TensorEntry> candidates) {
        List<List<TensorEntry>> groups = new ArrayList<>();
        for (TensorEntry t : candidates) {
            List<TensorEntry> home = null;
            for (List<TensorEntry> g : groups) {
                if (g.getFirst().data().mismatch(t.data()) == -1) {
                    home = g;
                    break;
                }
            }
            if (home == null) groups.add(home = new ArrayList<>());
            home.add(t);
        }
        return groups.stream().filter(g -> g.size() > 1).toList();
    }

    /** The token embedding and output projection names of a gpt2 or llama checkpoint. */
    private record EmbeddingPair(String embedding, String output) {
        boolean is(String a, String b) {
            return (a.equals(embedding) && b.equals(output)) || (a.equals(output) && b.equals(embedding));
        }
    }

    private Optional<EmbeddingPair> embeddingPair() {
        return architecture.filter(Architecture::knownFamily)
                .map(a -> new EmbeddingPair(a.embeddingName(checkpoint), a.outputName(checkpoint)));
    }

    private void checkTiedEmbeddings(Optional<EmbeddingPair> pair, boolean storedTwiceIdentical) {
        if (pair.isEmpty()) return;
        Architecture a = architecture.get();
        String embedding = pair.get().embedding();
        String output = pair.get().output();
        boolean outputStored = checkpoint.tensor(output).isPresent();
        if (!outputStored && a.tiedEmbeddings()) {
            findings.add(Finding.info(output, "tied embeddings: " + output + " is absent, the output projection reuses "
                    + embedding + (a.source().equals("gguf") ? "" : " (tie_word_embeddings)")));
        } else if (outputStored && a.tiedEmbeddings() && !storedTwiceIdentical && a.source().equals("config.json")
                && checkpoint.tensor(embedding).isPresent()) {
            findings.add(Finding.warning(output, "the config ties embeddings but " + output + " differs from " + embedding
                    + "; a loader that ties them will overwrite it"));
        }
    }

    // ---- the declared architecture ----

    private void checkArchitecture() {
        if (architecture.isEmpty()) {
            findings.add(Finding.info(null, checkpoint.format() == Checkpoint.Format.GGUF
                    ? "no general.architecture in the metadata: tensor names and shapes were not checked"
                    : "no config.json beside the weights: the declared architecture is unknown,"
                            + " tensor names and shapes were not checked"));
            return;
        }
        Architecture a = architecture.get();
        if (!a.knownFamily()) {
            findings.add(Finding.info(null, "architecture " + a.family()
                    + ": tensor names and shapes are checked for gpt2 and llama only"));
            return;
        }
        List<Architecture.ExpectedTensor> expected = a.expectedTensors(checkpoint);
        Set<String> expectedNames = new HashSet<>();
        List<Finding> missing = new ArrayList<>();
        List<Finding> wrongShape = new ArrayList<>();
        for (Architecture.ExpectedTensor e : expected) {
            expectedNames.add(e.name());
            Optional<TensorEntry> t = checkpoint.tensor(e.name());
            if (t.isEmpty()) {
                if (e.kind() == Architecture.Kind.REQUIRED) {
                    missing.add(Finding.error(e.name(), "missing: a " + a.family() + " with " + a.layers()
                            + " layers has " + e.name() + " " + Arrays.toString(e.shape())));
                }
            } else if (e.kind() != Architecture.Kind.BUFFER && !Arrays.equals(t.get().shape(), e.shape())) {
                wrongShape.add(Finding.error(e.name(), "shape " + t.get().shapeString() + " but the declared architecture gives "
                        + Arrays.toString(e.shape()) + " (" + a.describe() + ")"));
            }
        }
        List<Finding> unexpected = new ArrayList<>();
        for (TensorEntry t : tensors) {
            if (!expectedNames.contains(t.name())) {
                unexpected.add(Finding.warning(t.name(), "unexpected: not a tensor of a " + a.family() + " with "
                        + a.layers() + " layers (" + t.dtype().label() + " " + t.shapeString() + ")"));
            }
        }
        addListed(missing, "more tensors missing");
        addListed(wrongShape, "more tensors with shapes that disagree");
        addListed(unexpected, "more unexpected tensors");
    }

    private void addListed(List<Finding> list, String rest) {
        findings.addAll(list.subList(0, Math.min(LISTED_PER_KIND, list.size())));
        if (list.size() > LISTED_PER_KIND) {
            Finding first = list.getFirst();
            findings.add(new Finding(first.severity(), null, "and " + (list.size() - LISTED_PER_KIND) + " " + rest));
        }
    }

    // ---- dtypes and sizes ----

    private void checkDtypes() {
        Map<DType, Integer> counts = new LinkedHashMap<>();
        for (TensorEntry t : tensors) counts.merge(t.dtype(), 1, Integer::sum);
        if (counts.size() < 2) return;
        List<String> parts = counts.entrySet().stream()
                .sorted(Map.Entry.<DType, Integer>comparingByValue().reversed())
                .map(e -> e.getValue() + " " + e.getKey().label()).toList();
        findings.add(Finding.info(null, "mixed dtypes: " + String.join(", ", parts)));
    }

    private void checkParameterCount() {
        long stored = 0;
        for (TensorEntry t : tensors) {
            if (!buffers.contains(t.name())) stored += t.numel();
        }
        if (architecture.isEmpty()) return;
        Architecture a = architecture.get();
        long reference;
        String against;
        String source;
        if (a.declaredParameters().isPresent()) {
            reference = a.declaredParameters().getAsLong();
            source = "declared";
        } else if (a.knownFamily()) {
            reference = a.formulaParameterCount(checkpoint);
            source = "from the " + a.family() + " architecture" + (a.tiedEmbeddings() ? ", tied embeddings" : "");
        } else {
            return;
        }
        double off = reference == 0 ? 1 : Math.abs(stored - reference) / (double) reference;
        String message = stored == reference
                ? "parameter count " + count(stored) + " matches the expected count (" + source + ")"
                : String.format(Locale.ROOT, "parameter count %s vs %s expected (%s): %+.2f%%", count(stored), count(reference),
                        source, 100.0 * (stored - reference) / Math.max(1, reference));
        findings.add(off > 0.01 ? Finding.warning(null, message) : Finding.info(null, message));
    }

    static String count(long n) { return String.format(Locale.ROOT, "%,d", n); }
}
