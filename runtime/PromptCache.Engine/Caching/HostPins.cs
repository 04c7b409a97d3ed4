using PromptCache.Runtime.Backends;

namespace PromptCache.Engine.Caching;

/// <summary>Page-locks the layers of a resident store entry through a backend: one range when they are contiguous.</summary>
internal static class HostPins
{
    /// <summary>
    /// Pins every layer (each <paramref name="layerBytes"/> long), or nothing: null when the backend
    /// declines any part. Disposing the result undoes every pin.
    /// </summary>
    public static unsafe IDisposable? TryPin(IComputeBackend backend, IReadOnlyList<nint> layers, long layerBytes)
    {
        if (layers.Count == 0 || layerBytes <= 0) return null;
        // The store's host buffer keeps an entry's layers back to back: one registration covers them.
        bool contiguous = true;
        for (int l = 1; l < layers.Count && contiguous; l++) contiguous = layers[l] == layers[0] + l * (nint)layerBytes;
        var ranges = contiguous ? [(layers[0], layerBytes * layers.Count)] : layers.Select(address => (address, layerBytes)).ToList();
        var pins = new List<IDisposable>(ranges.Count);
        foreach (var (address, bytes) in ranges)
        {
            if (backend.PinHostMemory((void*)address, bytes) is { } pin)
            {
                pins.Add(pin);
                continue;
            }
            Release(pins);
            return null;
        }
        return new Pins(pins);
    }

    private static void Release(List<IDisposable> pins)
    {
        for (int i = pins.Count - 1; i >= 0; i--) pins[i].Dispose();
    }

    private sealed class Pins(List<IDisposable> pins) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Release(pins);
        }
    }
}
