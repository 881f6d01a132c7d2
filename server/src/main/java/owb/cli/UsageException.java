package owb.cli;

/** The command line was wrong; the message says how. Exit code 2. */
final class UsageException extends RuntimeException {
    UsageException(String message) { super(message); }
}
