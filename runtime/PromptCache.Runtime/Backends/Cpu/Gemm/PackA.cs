namespace PromptCache.Runtime.Backends.Cpu;

/// <summary>
/// Packs activations for the micro-kernel: for each k block and each panel of <c>mr</c> rows,
/// the values are stored step by step (<c>panel[p·mr + r] = A[row0 + r, pc + p]</c>) so the kernel
/// reads them sequentially. Rows past the end of A are zero, so edge panels need no special code.
/// </summary>
internal static unsafe class PackA
{
    /// <summary>Floats needed to pack <paramref name="rows"/> rows of k values in panels of mr.</summary>
    public static long Size(int rows, int k, int mr) => (long)RoundUp(rows, mr) * k;

    /// <summary>
    /// Offset of panel <paramref name="panel"/> of the k block starting at <paramref name="pc"/>
    /// (block width <paramref name="kc"/>) in a buffer packed for <paramref name="rows"/> rows.
    /// Blocks are laid out one after another, each holding all panels.
    /// </summary>
    public static long Offset(int rows, int mr, int pc, int kc, int panel) =>
        (long)pc * RoundUp(rows, mr) + (long)panel * mr * kc;

    /// <summary>Packs panel <paramref name="panel"/> (rows row0 + panel·mr ..) for every k block.</summary>
    public static void PackPanel(float* a, int k, int row0, int rows, int panel, int mr, int kcMax, float* dst)
    {
        int first = panel * mr;
        int valid = Math.Min(mr, rows - first);
        for (int pc = 0; pc < k; pc += kcMax)
        {
            int kc = Math.Min(kcMax, k - pc);
            float* d = dst + Offset(rows, mr, pc, kc, panel);
            for (int r = 0; r < mr; r++)
            {
                if (r < valid)
                {
                    float* src = a + (long)(row0 + first + r) * k + pc;
                    for (int p = 0; p < kc; p++)
                    {
                        d[p * mr + r] = src[p];
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        d[p * mr + r] = 0f;
                    }
                }
            }
        }
    }

    /// <summary><paramref name="x"/> rounded up to a multiple of <paramref name="multiple"/>.</summary>
    public static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}
