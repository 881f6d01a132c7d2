/**
 * Text to token ids and back, exactly as Hugging Face's tokenizers library does it for the model
 * families the engine runs (GPT-2, Llama 2/3, Mistral, Qwen2, SmolLM2, TinyLlama).
 *
 * <p>Entry points: {@link owb.tokenizer.Tokenizer#fromTokenizerJson} for a tokenizer.json and
 * {@link owb.tokenizer.Tokenizer#fromGgufMetadata} for the vocabulary a GGUF file embeds. Both
 * build one pipeline ({@code BpeTokenizer}): added tokens, normalizer, pre-tokenizer, BPE model,
 * post-processor; decoder on the way back. Checked id for id against the tokenizers package by
 * HuggingFaceParityTest on fixtures from samples/make_tokenizer_fixtures.py.
 */
package owb.tokenizer;
