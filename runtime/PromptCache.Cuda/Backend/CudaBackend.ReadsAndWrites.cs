namespace PromptCache.Cuda.Backend;

// What each op reads and writes: bf16 copies kept for the GEMMs, deferred RoPE and the held GEMM follow these.
public sealed unsafe partial class CudaBackend
{
    // [pointer, +count floats) is about to be written: bf16 copies of it no longer hold, deferred RoPE there is
    // dropped (or applied first, for the rows the write leaves).
    private void Written(ulong pointer, long count)
    {
        FlushHeldGemmOver(pointer, count);
        if (_deferredRopes.Touches(pointer, count))
        {
            FlushAttention(); // held attention may still read those rows unrotated, rotating them itself
            _deferredRopes.Written(pointer, count);
        }
        _gemmInputs.Written(pointer, count);
    }

    // [pointer, +count floats) is read as f32 by the next kernel: values kept only in bf16 are written back first,
    // and deferred RoPE there is applied.
    private void Reading(ulong pointer, long count)
    {
        FlushHeldGemmOver(pointer, count);
        if (_deferredRopes.Touches(pointer, count))
        {
            FlushAttention();
            _deferredRopes.Reading(pointer, count);
        }
        _gemmInputs.Reading(pointer, count);
    }

    private void FlushHeldGemmOver(ulong pointer, long count)
    {
        if (_heldGemm is { } h && FloatRanges.Overlap(h.Y, h.Outputs, pointer, count)) FlushHeldGemm();
    }

    // A bf16 copy for the values about to be written to [source, +count floats) (GemmInputs.Claim).
    private ulong Claim(ulong source, long count, bool only)
    {
        FlushHeldGemm(); // the claim may reuse the bf16 buffer the held GEMM reads
        Written(source, count);
        return _gemmInputs.Claim(source, count, only);
    }
}
