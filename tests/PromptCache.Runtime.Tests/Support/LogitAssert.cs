using PromptCache.Runtime.Inference;

namespace PromptCache.Runtime.Tests.Support;

internal static class LogitAssert
{
    public static float MaxAbsDifference(float[][] expected, ForwardResult actual)
    {
        Assert.Equal(expected.Length, actual.Rows);
        float worst = 0;
        for (int r = 0; r < expected.Length; r++)
        {
            var row = actual.Row(r);
            Assert.Equal(expected[r].Length, row.Length);
            for (int i = 0; i < row.Length; i++)
            {
                float diff = MathF.Abs(expected[r][i] - row[i]);
                if (!(diff <= worst)) worst = float.IsNaN(diff) ? float.PositiveInfinity : diff;
            }
        }
        return worst;
    }

    public static void Close(float[][] expected, ForwardResult actual, float tolerance, string what)
    {
        float worst = MaxAbsDifference(expected, actual);
        Assert.True(worst <= tolerance, $"{what}: max abs logit difference {worst:G4} exceeds {tolerance:G4}.");
    }
}
