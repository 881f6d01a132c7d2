package owb.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ByteLevelTest {

    @Test
    void spaceAndNewlineAreSpelledAsGpt2Does() {
        assertEquals("ĠParis", ByteLevel.encode(" Paris"));
        assertEquals("Ċ", ByteLevel.encode("\n"));
        assertEquals("Ã©", ByteLevel.encode("é"));
    }

    @Test
    void everyByteHasItsOwnPrintableCharacter() {
        java.util.Set<Character> seen = new java.util.HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = ByteLevel.charOf(b);
            assertEquals(b, ByteLevel.byteOf(c));
            assertTrue(seen.add(c), "two bytes share " + c);
            assertFalse(Character.isWhitespace(c) || Character.isISOControl(c), "byte " + b + " is spelled unprintably");
        }
    }

    @Test
    void emojiIsSpelledByItsFourUtf8Bytes() {
        String spelled = ByteLevel.encode("🙂");
        ByteSink bytes = new ByteSink();
        ByteLevel.appendBytes(spelled, bytes);
        assertArrayEquals("🙂".getBytes(StandardCharsets.UTF_8), bytes.toArray());
    }
}
