package owb.audit;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A 64-bit hash of a tensor's bytes, for splitting large groups of identical-looking tensors
 * before they are compared byte for byte (see {@link CheckpointFindings}); equal bytes give equal
 * hashes. Plain Java: it runs rarely, and C2 compiles it after a few thousand longs.
 */
final class ContentHash {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private ContentHash() {}

    static long of(MemorySegment data) {
        long length = data.byteSize();
        // four independent multiply-rotate chains keep the multiplier busy
        long a = 0x9E3779B185EBCA87L, b = 0xC2B2AE3D27D4EB4FL, c = 0x165667B19E3779F9L, d = 0x27D4EB2F165667C5L;
        long p = 0;
        for (; p + 32 <= length; p += 32) {
            a = Long.rotateLeft((a ^ data.get(LONG, p)) * 0x9E3779B185EBCA87L, 31);
            b = Long.rotateLeft((b ^ data.get(LONG, p + 8)) * 0x9E3779B185EBCA87L, 31);
            c = Long.rotateLeft((c ^ data.get(LONG, p + 16)) * 0x9E3779B185EBCA87L, 31);
            d = Long.rotateLeft((d ^ data.get(LONG, p + 24)) * 0x9E3779B185EBCA87L, 31);
        }
        long h = mix(length ^ mix(a ^ mix(b ^ mix(c ^ mix(d)))));
        for (; p < length; p++) h = mix(h ^ (data.get(ValueLayout.JAVA_BYTE, p) & 0xffL) ^ (p << 8));
        return h;
    }

    /** MurmurHash3's fmix64 finaliser. */
    static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
