package owb.model;

/**
 * Code run at a hook point. It may read the activation or change it in place (ablate, patch,
 * steer); the forward pass continues from whatever {@code activation.data()} holds afterwards.
 */
@FunctionalInterface
public interface HookFn {
    void apply(String name, Activation activation);
}
