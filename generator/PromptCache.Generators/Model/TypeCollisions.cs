using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using PromptCache.Pml;

namespace PromptCache.Generators.Model;

/// <summary>The fully qualified class a schema file asks for, and where its schema name is.</summary>
internal sealed record SchemaTypeClaim(string FullTypeName, string FilePath, PmlLocation NameLocation);

/// <summary>The cross-file check: two schema files that would generate the same class.</summary>
/// <param name="Diagnostics">PCG0026 at each later claimant's schema name.</param>
/// <param name="Losers">The files whose class is not emitted (the first file by path keeps the name).</param>
internal sealed record TypeCollisionReport(EquatableArray<PmlDiagnostic> Diagnostics, EquatableArray<string> Losers)
{
    /// <summary>Finds the collisions among <paramref name="claims"/>.</summary>
    public static TypeCollisionReport Find(ImmutableArray<SchemaTypeClaim> claims)
    {
        var diagnostics = new List<PmlDiagnostic>();
        var losers = new List<string>();
        foreach (var group in claims.GroupBy(c => c.FullTypeName).Where(g => g.Count() > 1))
        {
            var ordered = group.OrderBy(c => c.FilePath, System.StringComparer.Ordinal).ToList();
            var winner = ordered[0];
            foreach (var loser in ordered.Skip(1))
            {
                // The same file listed twice (Include instead of Update) generates identical code: keep one.
                var sameFile = loser.FilePath == winner.FilePath;
                if (!sameFile)
                {
                    losers.Add(loser.FilePath);
                }

                diagnostics.Add(PmlDiagnostic.Create(
                    PmlDiagnostics.TypeNameCollision,
                    loser.NameLocation,
                    group.Key,
                    "the schema in " + loser.FilePath,
                    sameFile
                        ? "the same file, listed twice as AdditionalFiles (use Update, not Include, to set metadata on a .pml the package already includes)"
                        : "the schema in " + winner.FilePath + " (set TypeName or Namespace metadata on one of the AdditionalFiles items)"));
            }
        }

        return new TypeCollisionReport(diagnostics.ToEquatableArray(), losers.OrderBy(p => p, System.StringComparer.Ordinal).ToEquatableArray());
    }
}
