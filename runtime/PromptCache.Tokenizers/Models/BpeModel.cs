using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Text;
using System.Threading;

namespace PromptCache.Tokenizers.Models
{
    /// <summary>
    /// Merge-rank byte-pair encoding, the HF <c>BPE</c> model: a word starts as characters (or
    /// UTF-8 bytes in the byte-level alphabet) and the adjacent pair with the lowest merge rank is
    /// merged, leftmost first, until no pair has a merge. Results are cached per word, since real
    /// text repeats words constantly.
    /// </summary>
    internal sealed class BpeModel
    {
        // Words longer than this are not cached (they rarely repeat and would bloat the cache).
        private const int MaxCachedWordLength = 96;
        private const int MaxCacheEntries = 100_000;
        // Up to this many symbols, a linear scan for the best pair beats a heap.
        internal const int LinearMergeLimit = 48;

        private readonly Dictionary<string, int> _vocab;
        private readonly string[] _idToToken;
        private readonly PairTable _merges;
        private readonly BpeOptions _options;
        private readonly int _unkId;
        private readonly int[] _byteIds;          // byte-level: id of each byte's alphabet character (-1 if absent)
        private readonly int[]? _byteFallbackIds; // <0xXX> tokens (null without byte_fallback)
        private readonly int[] _bmpCharIds;       // SentencePiece style: id of each single-char token (-1 if absent)
        private int _cacheCount;
        private readonly ConcurrentDictionary<string, int[]> _cache = new ConcurrentDictionary<string, int[]>(StringComparer.Ordinal);
#if NET
        private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;
#endif

        public BpeModel(Dictionary<string, int> vocab, PairTable merges, BpeOptions options)
        {
            _vocab = vocab;
            _merges = merges;
            _options = options;
            int size = 0;
            foreach (int id in vocab.Values) size = Math.Max(size, id + 1);
            _idToToken = new string[size];
            foreach (KeyValuePair<string, int> entry in vocab) _idToToken[entry.Value] = entry.Key;

            _unkId = -1;
            if (options.UnkToken != null && vocab.TryGetValue(options.UnkToken, out int unk)) _unkId = unk;

            _byteIds = new int[256];
            for (int b = 0; b < 256; b++)
                _byteIds[b] = vocab.TryGetValue(ByteLevelAlphabet.ByteToChar[b].ToString(), out int id) ? id : -1;

            if (options.ByteFallback)
            {
                _byteFallbackIds = new int[256];
                for (int b = 0; b < 256; b++)
                    _byteFallbackIds[b] = vocab.TryGetValue(ByteFallbackToken(b), out int id) ? id : -1;
            }

            _bmpCharIds = new int[65536];
            for (int c = 0; c < _bmpCharIds.Length; c++) _bmpCharIds[c] = -1;
            foreach (KeyValuePair<string, int> entry in vocab)
                if (entry.Key.Length == 1) _bmpCharIds[entry.Key[0]] = entry.Value;
#if NET
            _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
#endif
            _splitBefore = options.ByteLevel ? '\0' : FindSafeSplitChar(vocab);
        }

        // SentencePiece-style models (Mistral, Llama 2) have no pre-tokenizer: the whole text is one
        // "word". When no vocabulary entry has the metaspace '▁' right after another character,
        // no token (and so no merge) can cross a "x|▁" boundary, and cutting the text there gives
        // exactly the same ids while letting the word cache work and keeping merges short.
        private readonly char _splitBefore;

        private static char FindSafeSplitChar(Dictionary<string, int> vocab)
        {
            const char Metaspace = '\u2581';
            if (!vocab.ContainsKey(Metaspace.ToString())) return '\0';
            foreach (string token in vocab.Keys)
            {
                for (int i = 1; i < token.Length; i++)
                    if (token[i] == Metaspace && token[i - 1] != Metaspace) return '\0';
            }
            return Metaspace;
        }

        /// <summary>The number of ids (the largest id + 1).</summary>
        public int VocabularySize => _idToToken.Length;

        /// <summary>The settings this model was built with.</summary>
        public BpeOptions Options => _options;

        /// <summary>The vocabulary, token text to id.</summary>
        public IReadOnlyDictionary<string, int> Vocabulary => _vocab;

        /// <summary>The <c>&lt;0xXX&gt;</c> spelling of a byte-fallback token.</summary>
        public static string ByteFallbackToken(int b) => "<0x" + b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture) + ">";

        public string? IdToToken(int id) => id >= 0 && id < _idToToken.Length ? _idToToken[id] : null;

        public bool TryGetId(string token, out int id) => _vocab.TryGetValue(token, out id);

        /// <summary>Encodes one pre-tokenized word, <c>s[start..start+length)</c>, appending its ids.</summary>
        public void EncodeWord(string s, int start, int length, List<int> output)
        {
            if (length == 0) return;
            if (_splitBefore != '\0')
            {
                int end = start + length;
                int pieceStart = start;
                for (int i = start + 1; i < end; i++)
                {
                    if (s[i] == _splitBefore && s[i - 1] != _splitBefore)
                    {
                        EncodePiece(s, pieceStart, i - pieceStart, output);
                        pieceStart = i;
                    }
                }
                EncodePiece(s, pieceStart, end - pieceStart, output);
                return;
            }
            EncodePiece(s, start, length, output);
        }

        private void EncodePiece(string s, int start, int length, List<int> output)
        {
            int[]? ids;
            bool cacheable = length <= MaxCachedWordLength;
            string? key = null;
            if (cacheable)
            {
#if NET
                if (_cacheBySpan.TryGetValue(s.AsSpan(start, length), out ids))
                {
                    AddAll(output, ids);
                    return;
                }
#else
                key = s.Substring(start, length);
                if (_cache.TryGetValue(key, out ids))
                {
                    AddAll(output, ids);
                    return;
                }
#endif
            }
            ids = EncodeUncached(s, start, length, LinearMergeLimit);
            // ConcurrentDictionary.Count takes every lock; keep our own (approximate) count instead.
            if (cacheable && Volatile.Read(ref _cacheCount) < MaxCacheEntries && _cache.TryAdd(key ?? s.Substring(start, length), ids))
            {
                Interlocked.Increment(ref _cacheCount);
            }
            AddAll(output, ids);
        }

        private static void AddAll(List<int> output, int[] ids)
        {
            if (ids.Length == 1) output.Add(ids[0]);
            else output.AddRange(ids);
        }

        [ThreadStatic] private static int[]? t_symbols;
        [ThreadStatic] private static byte[]? t_bytes;

        /// <summary>Encodes a word without the cache; <paramref name="linearLimit"/> picks the merge strategy (tests compare both).</summary>
        internal int[] EncodeUncached(string s, int start, int length, int linearLimit)
        {
            if (_options.IgnoreMerges)
            {
                string whole = _options.ByteLevel ? ToByteLevelString(s, start, length) : s.Substring(start, length);
                if (_vocab.TryGetValue(whole, out int wholeId)) return new[] { wholeId };
            }

            int capacity = length * 4 + 4;
            int[] symbols = t_symbols != null && t_symbols.Length >= capacity ? t_symbols : (t_symbols = new int[Math.Max(capacity, 256)]);
            int n = _options.ByteLevel ? ByteLevelSymbols(s, start, length, symbols) : CharSymbols(s, start, length, symbols);
            n = n <= linearLimit ? MergeLinear(symbols, n) : MergeWithHeap(symbols, n);
            var result = new int[n];
            Array.Copy(symbols, result, n);
            return result;
        }

        private string ToByteLevelString(string s, int start, int length)
        {
            byte[] bytes = Utf8.Encode(s, start, length, ref t_bytes, out int count);
            var chars = new char[count];
            for (int k = 0; k < count; k++) chars[k] = ByteLevelAlphabet.ByteToChar[bytes[k]];
            return new string(chars);
        }

        private int ByteLevelSymbols(string s, int start, int length, int[] symbols)
        {
            byte[] bytes = Utf8.Encode(s, start, length, ref t_bytes, out int count);
            int n = 0;
            for (int k = 0; k < count; k++)
            {
                int id = _byteIds[bytes[k]];
                if (id >= 0) symbols[n++] = id;
                else if (_unkId >= 0 && !(_options.FuseUnk && n > 0 && symbols[n - 1] == _unkId)) symbols[n++] = _unkId;
            }
            return n;
        }

        private int CharSymbols(string s, int start, int length, int[] symbols)
        {
            int n = 0;
            int end = start + length;
            for (int i = start; i < end;)
            {
                char c = s[i];
                int charLength = char.IsHighSurrogate(c) && i + 1 < end && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
                int id;
                if (charLength == 1) id = _bmpCharIds[c];
                else id = _vocab.TryGetValue(s.Substring(i, 2), out int astral) ? astral : -1;

                if (id >= 0)
                {
                    symbols[n++] = id;
                }
                else if (!TryByteFallback(s, i, charLength, symbols, ref n))
                {
                    // HF: unknown characters become unk (fused when fuse_unk), or vanish without one.
                    if (_unkId >= 0 && !(_options.FuseUnk && n > 0 && symbols[n - 1] == _unkId)) symbols[n++] = _unkId;
                }
                i += charLength;
            }
            return n;
        }

        private bool TryByteFallback(string s, int i, int charLength, int[] symbols, ref int n)
        {
            if (_byteFallbackIds == null) return false;
            byte[] bytes = Utf8.Encode(s, i, charLength, ref t_bytes, out int count);
            for (int k = 0; k < count; k++) if (_byteFallbackIds[bytes[k]] < 0) return false;
            for (int k = 0; k < count; k++) symbols[n++] = _byteFallbackIds[bytes[k]];
            return true;
        }

        /// <summary>Merges short words: scan the pair ranks for the lowest, merge, update two neighbours.</summary>
        private int MergeLinear(int[] symbols, int n)
        {
            if (n < 2) return n;
            LinearScratch pairs = LinearScratch.Rent(n);
            int[] ranks = pairs.Ranks;
            int[] merged = pairs.Merged;
            for (int k = 0; k < n - 1; k++) _merges.TryGet(symbols[k], symbols[k + 1], out ranks[k], out merged[k]);
            while (n > 1)
            {
                int best = int.MaxValue;
                int at = -1;
                for (int k = 0; k < n - 1; k++)
                {
                    if (ranks[k] < best)
                    {
                        best = ranks[k];
                        at = k;
                    }
                }
                if (at < 0) break;
                symbols[at] = merged[at];
                // Remove symbol at+1 and pair at+1 (shift left).
                int tail = n - at - 2;
                if (tail > 0)
                {
                    Array.Copy(symbols, at + 2, symbols, at + 1, tail);
                    Array.Copy(ranks, at + 1, ranks, at, tail);
                    Array.Copy(merged, at + 1, merged, at, tail);
                }
                n--;
                if (at > 0) _merges.TryGet(symbols[at - 1], symbols[at], out ranks[at - 1], out merged[at - 1]);
                if (at < n - 1) _merges.TryGet(symbols[at], symbols[at + 1], out ranks[at], out merged[at]);
            }
            return n;
        }

        /// <summary>
        /// Merges long words in O(n log n): a min-heap of (rank, position) over a linked list of
        /// symbols. Stale heap entries (a neighbour already merged) are skipped when popped: the
        /// pair's rank is looked up again, and ranks are unique per pair, so an equal rank means the
        /// same merge. Ordering by (rank, position) gives the same leftmost-lowest choice as the
        /// linear scan.
        /// </summary>
        private int MergeWithHeap(int[] symbols, int n)
        {
            HeapScratch scratch = HeapScratch.Rent(n);
            int[] next = scratch.Next;
            int[] prev = scratch.Prev;
            bool[] alive = scratch.Alive;
            for (int k = 0; k < n; k++)
            {
                next[k] = k + 1 < n ? k + 1 : -1;
                prev[k] = k - 1;
                alive[k] = true;
            }
            LongMinHeap heap = scratch.Heap;
            heap.Clear();
            for (int k = 0; k < n - 1; k++)
                if (_merges.TryGet(symbols[k], symbols[k + 1], out int rank, out _)) heap.Push(((long)rank << 32) | (uint)k);

            while (heap.Count > 0)
            {
                long top = heap.Pop();
                int rank = (int)(top >> 32);
                int pos = (int)(uint)top;
                if (!alive[pos]) continue;
                int right = next[pos];
                if (right < 0) continue;
                if (!_merges.TryGet(symbols[pos], symbols[right], out int currentRank, out int mergedId) || currentRank != rank) continue;

                symbols[pos] = mergedId;
                alive[right] = false;
                int after = next[right];
                next[pos] = after;
                if (after >= 0) prev[after] = pos;

                int before = prev[pos];
                if (before >= 0 && _merges.TryGet(symbols[before], symbols[pos], out int r1, out _)) heap.Push(((long)r1 << 32) | (uint)before);
                if (after >= 0 && _merges.TryGet(symbols[pos], symbols[after], out int r2, out _)) heap.Push(((long)r2 << 32) | (uint)pos);
            }

            int count = 0;
            for (int k = 0; k >= 0; k = next[k]) symbols[count++] = symbols[k];
            return count;
        }

        /// <summary>Per-thread scratch for <see cref="MergeWithHeap"/> (long words are common in CJK text; no allocation per word).</summary>
        private sealed class HeapScratch
        {
            [ThreadStatic] private static HeapScratch? t_instance;

            public int[] Next = new int[256];
            public int[] Prev = new int[256];
            public bool[] Alive = new bool[256];
            public readonly LongMinHeap Heap = new LongMinHeap(256);

            public static HeapScratch Rent(int n)
            {
                HeapScratch s = t_instance ??= new HeapScratch();
                if (s.Next.Length < n)
                {
                    s.Next = new int[n * 2];
                    s.Prev = new int[n * 2];
                    s.Alive = new bool[n * 2];
                }
                return s;
            }
        }

        /// <summary>Per-thread scratch arrays for <see cref="MergeLinear"/>.</summary>
        private sealed class LinearScratch
        {
            [ThreadStatic] private static LinearScratch? t_instance;

            public int[] Ranks = new int[64];
            public int[] Merged = new int[64];

            public static LinearScratch Rent(int n)
            {
                LinearScratch s = t_instance ??= new LinearScratch();
                if (s.Ranks.Length < n)
                {
                    s.Ranks = new int[n * 2];
                    s.Merged = new int[n * 2];
                }
                return s;
            }
        }
    }
}
