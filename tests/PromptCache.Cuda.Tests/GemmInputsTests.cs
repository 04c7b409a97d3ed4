using PromptCache.Cuda.Backend;

namespace PromptCache.Cuda.Tests;

/// <summary>
/// The bookkeeping of the GEMMs' bf16 inputs (no GPU needed): which f32 ranges hold stale values whose
/// only copy is bf16, and when they are widened back. Addresses are plain numbers; a widening is recorded.
/// </summary>
public sealed class GemmInputsTests
{
    private const ulong Base = 0x1000_0000;
    private readonly List<(ulong Copy, ulong Source, long Count)> _widened = [];
    private readonly GemmInputs _inputs;

    public GemmInputsTests() => _inputs = new GemmInputs((slot, bytes) => 0x9000_0000UL + (ulong)slot * 0x100_0000, (c, s, n) => _widened.Add((c, s, n)));

    private static ulong At(long floats) => Base + (ulong)(floats * sizeof(float));

    [Fact]
    public void A_copy_is_found_for_exactly_its_range()
    {
        ulong copy = _inputs.Claim(At(0), 100, only: false);
        Assert.Equal(copy, _inputs.Find(At(0), 100));
        Assert.Equal(0UL, _inputs.Find(At(0), 99));
        Assert.Equal(0UL, _inputs.Find(At(1), 100));
    }

    [Fact]
    public void Reading_a_stale_range_widens_it_once()
    {
        ulong copy = _inputs.Claim(At(0), 100, only: true);
        _inputs.Reading(At(50), 10);
        _inputs.Reading(At(0), 100);
        Assert.Equal([(copy, At(0), 100L)], _widened);
        Assert.Equal(copy, _inputs.Find(At(0), 100)); // still a valid copy for the GEMM
    }

    [Fact]
    public void Reading_elsewhere_widens_nothing()
    {
        _inputs.Claim(At(0), 100, only: true);
        _inputs.Reading(At(100), 50);
        Assert.Empty(_widened);
    }

    [Fact]
    public void A_write_over_the_whole_stale_range_drops_it_unwidened()
    {
        _inputs.Claim(At(10), 100, only: true);
        _inputs.Written(At(0), 200);
        _inputs.Reading(At(0), 200);
        Assert.Empty(_widened);
        Assert.Equal(0UL, _inputs.Find(At(10), 100));
    }

    [Fact]
    public void A_write_over_the_front_trims_the_stale_range()
    {
        ulong copy = _inputs.Claim(At(0), 100, only: true);
        _inputs.Written(At(0), 30); // q written over the front of the old SwiGLU output
        _inputs.Reading(At(0), 100);
        Assert.Equal([(copy + 30 * sizeof(ushort), At(30), 70L)], _widened);
    }

    [Fact]
    public void A_write_over_the_back_trims_the_stale_range()
    {
        ulong copy = _inputs.Claim(At(0), 100, only: true);
        _inputs.Written(At(60), 100);
        _inputs.Reading(At(0), 100);
        Assert.Equal([(copy, At(0), 60L)], _widened);
    }

    [Fact]
    public void A_write_into_the_middle_widens_first()
    {
        ulong copy = _inputs.Claim(At(0), 100, only: true);
        _inputs.Written(At(40), 20);
        Assert.Equal([(copy, At(0), 100L)], _widened);
        Assert.Equal(0UL, _inputs.Find(At(0), 100));
    }

    [Fact]
    public void Any_write_drops_a_plain_copy_without_widening()
    {
        _inputs.Claim(At(0), 100, only: false);
        _inputs.Written(At(99), 1);
        Assert.Equal(0UL, _inputs.Find(At(0), 100));
        Assert.Empty(_widened);
    }

    [Fact]
    public void A_claim_beyond_the_slots_widens_the_oldest_stale_entry()
    {
        ulong first = _inputs.Claim(At(0), 10, only: true);
        for (int i = 1; i < GemmInputs.Slots; i++) _inputs.Claim(At(100 * i), 10, only: true);
        _inputs.Claim(At(1000), 10, only: true);
        Assert.Equal([(first, At(0), 10L)], _widened);
        Assert.Equal(0UL, _inputs.Find(At(0), 10));
    }

    [Fact]
    public void Freed_memory_is_forgotten_unwidened()
    {
        _inputs.Claim(At(0), 100, only: true);
        _inputs.Forget(At(0), 400);
        _inputs.Reading(At(0), 100);
        Assert.Empty(_widened);
    }

    [Fact]
    public void The_models_layer_pattern_widens_nothing()
    {
        // Llama-2-7B's buffers for n tokens: x, xb, then q/k/v/att aliasing gate/up (LlamaModel's Activations).
        const long n = 8, d = 4096, f = 11008;
        long xb = n * d, shared = 2 * n * d, q = shared, k = q + n * d, v = k + n * d, att = v + n * d, gate = shared, up = gate + n * f;
        for (int layer = 0; layer < 3; layer++)
        {
            _inputs.Claim(At(xb), n * d, only: true);          // attention norm
            Assert.NotEqual(0UL, _inputs.Find(At(xb), n * d));  // q, k, v GEMMs
            _inputs.Written(At(q), n * d);
            _inputs.Written(At(k), n * d);
            _inputs.Written(At(v), n * d);
            _inputs.Reading(At(q), n * d);                      // RoPE
            _inputs.Written(At(q), n * d);
            _inputs.Reading(At(k), n * d);
            _inputs.Written(At(k), n * d);
            _inputs.Reading(At(k), n * d);                      // store K/V
            _inputs.Reading(At(v), n * d);
            _inputs.Reading(At(q), n * d);                      // attention
            _inputs.Written(At(att), n * d);
            _inputs.Claim(At(att), n * d, only: true);
            Assert.NotEqual(0UL, _inputs.Find(At(att), n * d)); // output projection
            _inputs.Written(At(xb), n * d);
            _inputs.Reading(At(0), n * d);                      // residual add
            _inputs.Reading(At(xb), n * d);
            _inputs.Written(At(0), n * d);
            _inputs.Claim(At(xb), n * d, only: true);          // FFN norm
            _inputs.Written(At(gate), n * f);                   // gate, up GEMMs
            _inputs.Written(At(up), n * f);
            _inputs.Reading(At(gate), n * f);                   // SwiGLU
            _inputs.Reading(At(up), n * f);
            _inputs.Claim(At(gate), n * f, only: true);
            Assert.NotEqual(0UL, _inputs.Find(At(gate), n * f)); // down projection
            _inputs.Written(At(xb), n * d);
            _inputs.Reading(At(0), n * d);
            _inputs.Reading(At(xb), n * d);
            _inputs.Written(At(0), n * d);
        }
        Assert.Empty(_widened);
    }
}
