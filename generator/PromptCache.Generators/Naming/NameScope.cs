using System.Collections.Generic;

namespace PromptCache.Generators.Naming;

/// <summary>
/// The C# names already taken in one declaration space (a class's members, or a method's parameters).
/// Names derived from PML that collide are reported; names the generator invents pick a free variant.
/// </summary>
internal sealed class NameScope
{
    private readonly Dictionary<string, string> _owners = new(System.StringComparer.Ordinal);

    /// <summary>Creates a scope whose <paramref name="reserved"/> names are owned by the generated API itself.</summary>
    public NameScope(IEnumerable<string> reserved, string reservedOwner)
    {
        foreach (var name in reserved)
        {
            _owners[name] = reservedOwner;
        }
    }

    /// <summary>Claims <paramref name="name"/> for <paramref name="owner"/>; on a clash returns the owner that has it.</summary>
    public bool TryClaim(string name, string owner, out string existingOwner)
    {
        if (_owners.TryGetValue(name, out existingOwner!))
        {
            return false;
        }

        _owners[name] = owner;
        existingOwner = string.Empty;
        return true;
    }

    /// <summary>Claims <paramref name="candidate"/>, or the first free <c>candidate2</c>, <c>candidate3</c>, ... (for invented names).</summary>
    public string ClaimFree(string candidate, string owner, string separator = "")
    {
        var name = candidate;
        for (var i = 2; _owners.ContainsKey(name); i++)
        {
            name = candidate + separator + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        _owners[name] = owner;
        return name;
    }

    /// <summary>True when <paramref name="name"/> is taken.</summary>
    public bool Contains(string name) => _owners.ContainsKey(name);

    /// <summary>The members every class inherits from <see cref="object"/>; a method with one of these names would hide or clash.</summary>
    public static readonly string[] ObjectMembers =
    {
        "Equals", "GetHashCode", "GetType", "ToString", "MemberwiseClone", "Finalize", "ReferenceEquals",
    };
}
