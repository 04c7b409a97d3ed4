using System.Security.Cryptography;
using System.Text;

namespace PromptCache.Cuda.Kernels;

/// <summary>
/// Compiled kernel images on disk, keyed by a hash of everything that changes the output: the
/// source text, the compiler options (target architecture, macros) and the NVRTC version. A changed
/// kernel or a new toolkit therefore never loads a stale binary.
/// </summary>
internal sealed class KernelCache
{
    /// <summary>Uses <paramref name="directory"/>, or no disk cache when null.</summary>
    public KernelCache(string? directory) => Directory = directory;

    /// <summary>Where images are kept, or null for none.</summary>
    public string? Directory { get; }

    /// <summary>
    /// The default folder: <c>$PROMPTCACHE_CUDA_CACHE</c>, else <c>$XDG_CACHE_HOME/promptcache/cuda</c>,
    /// else <c>~/.cache/promptcache/cuda</c>.
    /// </summary>
    public static string? DefaultDirectory(Func<string, string?> environment, string? home)
    {
        string? explicitDir = environment("PROMPTCACHE_CUDA_CACHE");
        if (!string.IsNullOrEmpty(explicitDir)) return explicitDir;
        string? xdg = environment("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg)) return Path.Combine(xdg, "promptcache", "cuda");
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache", "promptcache", "cuda");
    }

    /// <summary>The cache key: lowercase hex SHA-256 over source, options and compiler version, NUL-separated.</summary>
    public static string Key(string source, IReadOnlyList<string> options, string compilerVersion)
    {
        var text = new StringBuilder();
        text.Append(compilerVersion).Append('\0');
        foreach (string o in options) text.Append(o).Append('\0');
        text.Append(source);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The file an image with <paramref name="key"/> lives in.</summary>
    public string? PathFor(string key, bool ptx) => Directory is null ? null : Path.Combine(Directory, key + (ptx ? ".ptx" : ".cubin"));

    /// <summary>Reads a cached image, or null.</summary>
    public byte[]? TryRead(string key, bool ptx)
    {
        string? path = PathFor(key, ptx);
        if (path is null || !File.Exists(path)) return null;
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Stores an image atomically (write to a temporary file, then rename); failures only cost a recompile later.</summary>
    public void TryWrite(string key, bool ptx, byte[] image)
    {
        string? path = PathFor(key, ptx);
        if (path is null) return;
        try
        {
            System.IO.Directory.CreateDirectory(Directory!);
            string temp = path + "." + Environment.ProcessId + ".tmp";
            File.WriteAllBytes(temp, image);
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
