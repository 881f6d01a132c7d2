package owb.http;

import io.javalin.http.ServiceUnavailableResponse;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * At most a few CPU-heavy computations (forward passes, logit-lens readings) at once. Each already
 * uses every core through the kernels, so more at a time would only share the cores and hold more
 * activations in memory; a request that finds every permit taken waits briefly, then gets 503.
 * Requests that compute nothing (listings, cached documents) never pass through the gate, so a
 * slow forward pass holds up only the threads that asked for one.
 */
final class ComputeGate {

    /** A permit; closing it lets the next computation in. */
    interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    private final Semaphore permits;
    private final int size;
    private final long waitMillis;

    ComputeGate(int size, long waitMillis) {
        if (size < 1) throw new IllegalArgumentException("a gate needs at least one permit");
        this.permits = new Semaphore(size, true);
        this.size = size;
        this.waitMillis = waitMillis;
    }

    /** A permit, or 503 when none frees up within the wait. */
    Permit enter(String what) throws InterruptedException {
        if (!permits.tryAcquire(waitMillis, TimeUnit.MILLISECONDS)) {
            throw new ServiceUnavailableResponse("busy: " + size + (size == 1 ? " computation is" : " computations are")
                    + " running (forward passes and lens readings); try the " + what + " again shortly");
        }
        return new Permit() {
            private boolean released;

            @Override
            public synchronized void close() {
                if (released) return;
                released = true;
                permits.release();
            }
        };
    }
}
