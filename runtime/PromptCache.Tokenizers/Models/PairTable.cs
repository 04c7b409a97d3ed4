using System.Runtime.CompilerServices;

namespace PromptCache.Tokenizers.Models
{
    /// <summary>
    /// The BPE merge table: (left id, right id) -> (rank, merged id), as an open-addressing hash
    /// table on one packed 64-bit key. Looked up for every adjacent pair of every new word, so it
    /// avoids the tuple hashing and indirection of a general dictionary.
    /// </summary>
    internal sealed class PairTable
    {
        // Loading runs once, over hundreds of thousands of entries: compile these loops fully
        // optimized at once instead of starting in unoptimized tier 0 (AggressiveOptimization;
        // the numeric value, because netstandard2.0 does not name it).
        private const MethodImplOptions LoadPath = (MethodImplOptions)512;

        private const ulong Empty = ulong.MaxValue;
        private readonly ulong[] _keys;
        private readonly long[] _values; // rank << 32 | merged id
        private readonly int _mask;
        private readonly int _shift;

        public PairTable(int expectedCount)
        {
            int capacity = 16;
            int bits = 4;
            while (capacity < expectedCount * 2) { capacity <<= 1; bits++; }
            _shift = 64 - bits;
            _keys = new ulong[capacity];
            _values = new long[capacity];
            for (int i = 0; i < capacity; i++) _keys[i] = Empty;
            _mask = capacity - 1;
        }

        public int Count { get; private set; }

        private static ulong Key(int left, int right) => ((ulong)(uint)left << 32) | (uint)right;

        // Fibonacci hashing: the top bits of key * 2^64/phi spread the packed ids well.
        private int Slot(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> _shift);

        /// <summary>Adds a merge; an existing pair keeps its first (lower) rank, as in HF.</summary>
        [MethodImpl(LoadPath)]
        public void Add(int left, int right, int rank, int merged)
        {
            ulong key = Key(left, right);
            int slot = Slot(key);
            while (_keys[slot] != Empty)
            {
                if (_keys[slot] == key) return;
                slot = (slot + 1) & _mask;
            }
            _keys[slot] = key;
            _values[slot] = ((long)rank << 32) | (uint)merged;
            Count++;
        }

        /// <summary>Finds the merge of a pair.</summary>
        public bool TryGet(int left, int right, out int rank, out int merged)
        {
            ulong key = Key(left, right);
            int slot = Slot(key);
            while (true)
            {
                ulong k = _keys[slot];
                if (k == key)
                {
                    long v = _values[slot];
                    rank = (int)(v >> 32);
                    merged = (int)(uint)v;
                    return true;
                }
                if (k == Empty)
                {
                    rank = int.MaxValue;
                    merged = -1;
                    return false;
                }
                slot = (slot + 1) & _mask;
            }
        }
    }
}
