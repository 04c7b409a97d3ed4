using System.Globalization;
using System.Reflection;

namespace PromptCache.Cuda.Backend;

/// <summary>
/// <see cref="CudaBackendOptions"/> from settings written as text, NAME = VALUE with NAME a property of the options (any
/// case): the tool's <c>--cuda-option NAME=VALUE</c> and a host's <c>PromptCache:CudaSettings</c> configuration section.
/// </summary>
public static class CudaBackendSettings
{
    private static readonly Dictionary<string, PropertyInfo> Properties = typeof(CudaBackendOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite)
        .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The names the settings may take, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = Properties.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>The default options with each setting applied, in order (a later one of the same name wins).</summary>
    /// <param name="settings">Names and values: true/false, whole numbers, enum value names (any case), or text (empty: none).</param>
    /// <exception cref="ArgumentException">A name that is no setting (the message lists them), or a value that is not of its type.</exception>
    public static CudaBackendOptions Parse(IEnumerable<KeyValuePair<string, string>> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new CudaBackendOptions();
        foreach (var (name, text) in settings)
        {
            if (!Properties.TryGetValue(name.Trim(), out var property))
                throw new ArgumentException($"'{name}' is not a CUDA backend setting; they are: {string.Join(", ", Names)}.");
            property.SetValue(options, Value(property, (text ?? "").Trim()));
        }
        return options;
    }

    // The value as its property's type: bool, a whole number, an enum value's name, or text ("" for none).
    private static object? Value(PropertyInfo property, string text)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (type == typeof(string)) return text.Length == 0 ? null : text;
        object? value = type switch
        {
            _ when type == typeof(bool) => bool.TryParse(text, out bool b) ? b : null,
            _ when type == typeof(int) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i) ? i : null,
            _ when type == typeof(long) => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l) ? l : null,
            _ when type.IsEnum => Enum.GetNames(type).FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } n ? Enum.Parse(type, n) : null,
            _ => throw new ArgumentException($"{property.Name} ({type.Name}) cannot be set from text."),
        };
        if (value is not null) return value;
        string expected = type.IsEnum ? "one of " + string.Join(", ", Enum.GetNames(type)) : type == typeof(bool) ? "true or false" : "a whole number";
        throw new ArgumentException($"{property.Name}: '{text}' is not {expected}.");
    }
}
