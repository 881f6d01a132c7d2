package owb.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A check on a file about to be opened, throwing CheckpointException when it must not be (in a
 * hub cache: a link that leaves the repo folder).
 */
@FunctionalInterface
interface FileCheck {
    FileCheck NONE = file -> {};

    void check(Path file) throws IOException;
}
