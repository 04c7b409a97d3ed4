using System;
using System.IO;

#if !PROMPTCACHE_TOKENIZERS_NO_FILE_IO
namespace PromptCache.Tokenizers.Loading
{
    /// <summary>Chooses the loader for a path: tokenizer.json, GPT-2 files, or a GGUF file.</summary>
    internal static class TokenizerLoader
    {
        private const string Expected = "expected a tokenizer.json file, a folder with tokenizer.json or with encoder.json + vocab.bpe, or a .gguf file";

        public static Tokenizer Load(string path)
        {
            if (string.IsNullOrEmpty(path)) throw new ArgumentException("The tokenizer path is empty (" + Expected + ").", nameof(path));
            if (Directory.Exists(path))
            {
                string json = Path.Combine(path, "tokenizer.json");
                if (File.Exists(json)) return HfTokenizerJsonLoader.Load(json);
                string encoder = Path.Combine(path, "encoder.json");
                string merges = Path.Combine(path, "vocab.bpe");
                if (File.Exists(encoder) && File.Exists(merges)) return Gpt2FilesLoader.Load(encoder, merges);
                throw new FileNotFoundException($"No tokenizer in folder '{path}': {Expected}.", json);
            }
            if (!File.Exists(path)) throw new FileNotFoundException($"Tokenizer file not found: '{path}' ({Expected}).", path);

            if (IsGguf(path)) return GgufVocabularyLoader.Load(path);
            string name = Path.GetFileName(path);
            if (string.Equals(name, "encoder.json", StringComparison.OrdinalIgnoreCase) || string.Equals(name, "vocab.bpe", StringComparison.OrdinalIgnoreCase))
            {
                string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
                return Gpt2FilesLoader.Load(Path.Combine(folder, "encoder.json"), Path.Combine(folder, "vocab.bpe"));
            }
            if (string.Equals(Path.GetExtension(path), ".model", StringComparison.OrdinalIgnoreCase))
                throw new TokenizerFormatException($"'{path}' looks like a SentencePiece .model file, which is not supported ({Expected}).");
            return HfTokenizerJsonLoader.Load(path);
        }

        private static bool IsGguf(string path)
        {
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            {
                var magic = new byte[4];
                int read = stream.Read(magic, 0, 4);
                return read == 4 && magic[0] == (byte)'G' && magic[1] == (byte)'G' && magic[2] == (byte)'U' && magic[3] == (byte)'F';
            }
        }
    }
}
#endif
