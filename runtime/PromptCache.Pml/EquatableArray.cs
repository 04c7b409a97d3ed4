using System;
using System.Collections;
using System.Collections.Generic;

namespace PromptCache.Pml
{
    /// <summary>
    /// An immutable array with value equality. Incremental generators cache on equality, so every
    /// collection inside a PML model is one of these rather than a plain array.
    /// </summary>
    /// <typeparam name="T">The element type; compared with <see cref="EqualityComparer{T}.Default"/>.</typeparam>
    public readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IReadOnlyList<T>
    {
        private readonly T[]? _items;

        /// <summary>Wraps <paramref name="items"/>. The array is copied so later writes to it cannot leak in.</summary>
        public EquatableArray(T[]? items)
        {
            _items = items is null || items.Length == 0 ? null : (T[])items.Clone();
        }

        /// <summary>Copies <paramref name="items"/> into a new array.</summary>
        public EquatableArray(IEnumerable<T>? items)
        {
            if (items is null)
            {
                _items = null;
                return;
            }
            var list = new List<T>(items);
            _items = list.Count == 0 ? null : list.ToArray();
        }

        /// <summary>The empty array.</summary>
        public static EquatableArray<T> Empty => default;

        /// <summary>Number of elements.</summary>
        public int Count => _items?.Length ?? 0;

        /// <summary>True when the array has no element.</summary>
        public bool IsEmpty => Count == 0;

        /// <summary>The element at <paramref name="index"/>.</summary>
        public T this[int index]
        {
            get
            {
                if (_items is null)
                    throw new ArgumentOutOfRangeException(nameof(index));
                return _items[index];
            }
        }

        /// <summary>A fresh copy of the elements.</summary>
        public T[] ToArray() => _items is null ? new T[0] : (T[])_items.Clone();

        /// <inheritdoc/>
        public bool Equals(EquatableArray<T> other)
        {
            var a = _items;
            var b = other._items;
            if (ReferenceEquals(a, b))
                return true;
            if (a is null || b is null || a.Length != b.Length)
                return false;
            var comparer = EqualityComparer<T>.Default;
            for (int i = 0; i < a.Length; i++)
            {
                if (!comparer.Equals(a[i], b[i]))
                    return false;
            }
            return true;
        }

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode()
        {
            var items = _items;
            if (items is null)
                return 0;
            var comparer = EqualityComparer<T>.Default;
            int hash = 17;
            foreach (var item in items)
                hash = unchecked(hash * 31 + (item is null ? 0 : comparer.GetHashCode(item)));
            return hash;
        }

        /// <summary>Value equality.</summary>
        public static bool operator ==(EquatableArray<T> left, EquatableArray<T> right) => left.Equals(right);

        /// <summary>Value inequality.</summary>
        public static bool operator !=(EquatableArray<T> left, EquatableArray<T> right) => !left.Equals(right);

        /// <summary>Enumerates the elements without allocating an enumerator object.</summary>
        public Enumerator GetEnumerator() => new Enumerator(_items);

        IEnumerator<T> IEnumerable<T>.GetEnumerator() => ((IEnumerable<T>)(_items ?? new T[0])).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<T>)this).GetEnumerator();

        /// <summary>A struct enumerator over an <see cref="EquatableArray{T}"/>.</summary>
        public struct Enumerator
        {
            private readonly T[]? _items;
            private int _index;

            internal Enumerator(T[]? items)
            {
                _items = items;
                _index = -1;
            }

            /// <summary>The current element.</summary>
            public T Current => _items![_index];

            /// <summary>Advances to the next element.</summary>
            public bool MoveNext() => _items is not null && ++_index < _items.Length;
        }
    }

    /// <summary>Helpers to build <see cref="EquatableArray{T}"/> values.</summary>
    public static class EquatableArray
    {
        /// <summary>Creates an array from the given items.</summary>
        public static EquatableArray<T> Create<T>(params T[] items) => new EquatableArray<T>(items);

        /// <summary>Copies a sequence into an equatable array.</summary>
        public static EquatableArray<T> ToEquatableArray<T>(this IEnumerable<T> items) => new EquatableArray<T>(items);
    }
}
