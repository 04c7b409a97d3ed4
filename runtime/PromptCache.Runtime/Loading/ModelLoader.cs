using PromptCache.Runtime.Models;
using PromptCache.Tokenizers.Gguf;

namespace PromptCache.Runtime.Loading;

/// <summary>What <see cref="ModelLoader.Open"/> found: the configuration, bound weights and the open files behind them.</summary>
internal sealed record LoadedModel(ModelConfig Config, ModelWeights Weights, ITensorSource Files, GgufFile? Gguf);

/// <summary>Opens a model from a Hugging Face folder or a <c>.gguf</c> file.</summary>
internal static class ModelLoader
{
    public static LoadedModel Open(string path)
    {
        if (Directory.Exists(path)) return OpenHuggingFace(path);
        if (File.Exists(path))
        {
            if (path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) return OpenGguf(path);
            if (Path.GetFileName(path) == "config.json") return OpenHuggingFace(Path.GetDirectoryName(Path.GetFullPath(path))!);
            throw new NotSupportedException($"'{path}' is neither a .gguf file nor a Hugging Face model folder (with config.json).");
        }
        throw new FileNotFoundException($"Model '{path}' does not exist.", path);
    }

    private static LoadedModel OpenHuggingFace(string folder)
    {
        string configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"'{folder}' has no config.json.", configPath);
        var config = HfConfigReader.Read(configPath);
        var files = SafetensorsSource.OpenFolder(folder);
        try
        {
            var weights = new WeightBinder(files, TensorNames.HuggingFace, config).Bind();
            return new LoadedModel(config, weights, files, null);
        }
        catch
        {
            files.Dispose();
            throw;
        }
    }

    private static LoadedModel OpenGguf(string file)
    {
        var header = GgufFile.Read(file);
        var files = new GgufSource(header);
        try
        {
            var config = GgufConfigReader.Read(header, files);
            var weights = new WeightBinder(files, TensorNames.Gguf, config).Bind();
            return new LoadedModel(config, weights, files, header);
        }
        catch
        {
            files.Dispose();
            throw;
        }
    }
}
