package owb.cli;

import java.util.Set;

/** The options a command accepts: boolean flags and options that take a value. */
interface ArgsSpec {
    Set<String> flags();

    Set<String> valued();
}
