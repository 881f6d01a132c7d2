package owb.audit;

/** One thing the audit noticed; {@code tensor} is null when it concerns the whole checkpoint. */
public record Finding(Severity severity, String tensor, String message) {

    public static Finding error(String tensor, String message) { return new Finding(Severity.ERROR, tensor, message); }

    public static Finding warning(String tensor, String message) { return new Finding(Severity.WARNING, tensor, message); }

    public static Finding info(String tensor, String message) { return new Finding(Severity.INFO, tensor, message); }
}
