package owb.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Captured activations by hook name, in the order the forward pass reached them. */
public final class ActivationCache {
    private final Map<String, Activation> byName = new LinkedHashMap<>();

    void put(String name, Activation copy) { byName.put(name, copy); }

    /** @throws IllegalArgumentException when nothing was captured under that name */
    public Activation get(String name) {
        Activation a = byName.get(name);
        if (a == null) throw new IllegalArgumentException("no activation captured at '" + name + "'");
        return a;
    }

    public Optional<Activation> find(String name) { return Optional.ofNullable(byName.get(name)); }

    public boolean contains(String name) { return byName.containsKey(name); }

    public Set<String> names() { return Collections.unmodifiableSet(byName.keySet()); }

    public int size() { return byName.size(); }

    public void clear() { byName.clear(); }
}
