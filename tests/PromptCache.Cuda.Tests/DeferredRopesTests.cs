using PromptCache.Cuda.Backend;

namespace PromptCache.Cuda.Tests;

/// <summary>
/// The bookkeeping of RoPE left to its readers (no GPU needed): which rows still hold unrotated values, and
/// when the RoPE pass must run after all. Addresses are plain numbers; an applied pass is recorded.
/// </summary>
public sealed class DeferredRopesTests
{
    private const ulong Base = 0x1000_0000;
    private readonly List<DeferredRopes.Pending> _applied = [];
    private readonly DeferredRopes _ropes;
    private readonly object _table = new();

    public DeferredRopesTests() => _ropes = new DeferredRopes(_applied.Add);

    private static ulong At(long floats) => Base + (ulong)(floats * sizeof(float));

    // 10 rows of 4 heads × 8 floats (half 4) at float 0: q of a tiny model.
    private DeferredRopes.Pending Q(object? table = null) => new(At(0), 10, 4, 4, false, 0x5000, 0x6000, table ?? _table);

    [Fact]
    public void Rows_of_a_record_are_found_from_a_row_boundary_on()
    {
        _ropes.Defer(Q());
        Assert.Equal(0, _ropes.Covering(At(0), 10, 4, 4)?.FirstRow);
        Assert.Equal(3, _ropes.Covering(At(3 * 32), 7, 4, 4)?.FirstRow);   // a later row group
        Assert.Null(_ropes.Covering(At(3 * 32), 8, 4, 4));                // past the record's rows
        Assert.Null(_ropes.Covering(At(3 * 32 + 8), 2, 4, 4));            // inside a row
        Assert.Null(_ropes.Covering(At(0), 10, 2, 8));                    // another shape
        Assert.Empty(_applied);
    }

    [Fact]
    public void The_tables_of_a_later_row_start_that_many_rows_in()
    {
        var (cos, sin) = Q().TablesFrom(3);
        Assert.Equal(0x5000UL + 3 * 4 * sizeof(float), cos);
        Assert.Equal(0x6000UL + 3 * 4 * sizeof(float), sin);
    }

    [Fact]
    public void Reading_any_row_applies_the_pass_once()
    {
        _ropes.Defer(Q());
        _ropes.Reading(At(100), 1);
        _ropes.Reading(At(0), 320);
        Assert.Equal([Q()], _applied);
        Assert.Null(_ropes.Covering(At(0), 10, 4, 4));
    }

    [Fact]
    public void Reading_elsewhere_applies_nothing()
    {
        _ropes.Defer(Q());
        _ropes.Reading(At(320), 100);
        Assert.Empty(_applied);
        Assert.True(_ropes.Touches(At(319), 1));
        Assert.False(_ropes.Touches(At(320), 1));
    }

    [Fact]
    public void A_write_over_all_rows_drops_the_pass_unapplied()
    {
        _ropes.Defer(Q());
        _ropes.Written(At(-16), 1000); // the FFN's gate over q's memory
        Assert.Empty(_applied);
        Assert.False(_ropes.Touches(At(0), 320));
    }

    [Fact]
    public void A_write_over_some_rows_applies_the_pass_first()
    {
        _ropes.Defer(Q());
        _ropes.Written(At(0), 32);
        Assert.Equal([Q()], _applied);
    }

    [Fact]
    public void A_new_table_is_told_apart_and_everything_can_be_applied_before_it()
    {
        var k = new DeferredRopes.Pending(At(320), 10, 2, 4, false, 0x5000, 0x6000, _table);
        _ropes.Defer(Q());
        _ropes.Defer(k);
        Assert.False(_ropes.AnyFrom(_table));
        Assert.True(_ropes.AnyFrom(new object()));
        _ropes.ApplyAll();
        Assert.Equal([Q(), k], _applied);
        Assert.False(_ropes.Touches(At(0), 1000));
    }

    [Fact]
    public void Freed_memory_forgets_its_records()
    {
        _ropes.Defer(Q());
        _ropes.Forget(At(0), 320 * sizeof(float));
        Assert.Empty(_applied);
        Assert.False(_ropes.Touches(At(0), 320));
    }
}
