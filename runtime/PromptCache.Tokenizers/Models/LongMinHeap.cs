namespace PromptCache.Tokenizers.Models
{
    /// <summary>A binary min-heap of 64-bit keys (BPE packs rank and position into one key).</summary>
    internal sealed class LongMinHeap
    {
        private long[] _items;

        public LongMinHeap(int capacity) => _items = new long[capacity < 4 ? 4 : capacity];

        public int Count { get; private set; }

        public void Clear() => Count = 0;

        public void Push(long item)
        {
            if (Count == _items.Length) System.Array.Resize(ref _items, _items.Length * 2);
            int i = Count++;
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                if (_items[parent] <= item) break;
                _items[i] = _items[parent];
                i = parent;
            }
            _items[i] = item;
        }

        public long Pop()
        {
            long top = _items[0];
            long last = _items[--Count];
            int i = 0;
            while (true)
            {
                int child = 2 * i + 1;
                if (child >= Count) break;
                if (child + 1 < Count && _items[child + 1] < _items[child]) child++;
                if (_items[child] >= last) break;
                _items[i] = _items[child];
                i = child;
            }
            if (Count > 0) _items[i] = last;
            return top;
        }
    }
}
