package owb.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parsed command-line arguments: positionals, {@code --flag} booleans and {@code --option value}
 * pairs (also {@code --option=value}); repeated options keep every value.
 */
final class Args {
    private final List<String> positionals = new ArrayList<>();
    private final Map<String, List<String>> options = new LinkedHashMap<>();

    /**
     * @param flags   option names that take no value (without the dashes)
     * @param valued  option names that take a value
     */
    static Args parse(List<String> argv, Set<String> flags, Set<String> valued) {
        Args a = new Args();
        for (int i = 0; i < argv.size(); i++) {
            String s = argv.get(i);
            if (s.startsWith("--") && s.length() > 2) {
                String name = s.substring(2);
                String value = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                if (flags.contains(name)) {
                    if (value != null) throw new UsageException("--" + name + " takes no value");
                    a.options.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
                } else if (valued.contains(name)) {
                    if (value == null) {
                        if (i + 1 >= argv.size()) throw new UsageException("--" + name + " needs a value");
                        value = argv.get(++i);
                    }
                    a.options.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
                } else {
                    throw new UsageException("unknown option --" + name);
                }
            } else {
                a.positionals.add(s);
            }
        }
        return a;
    }

    List<String> positionals() { return positionals; }

    /** The names of the options given, without dashes. */
    Set<String> optionNames() { return options.keySet(); }

    boolean flag(String name) { return options.containsKey(name); }

    String option(String name, String fallback) {
        List<String> v = options.get(name);
        return v == null ? fallback : v.getLast();
    }

    List<String> all(String name) { return options.getOrDefault(name, List.of()); }

    int intOption(String name, int fallback) {
        String v = option(name, null);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " expects an integer, got '" + v + "'");
        }
    }

    String onePositional(String what) {
        if (positionals.size() != 1) throw new UsageException("expected one " + what);
        return positionals.getFirst();
    }
}
