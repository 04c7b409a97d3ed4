using System.Text.Json.Nodes;
using PromptCache.Runtime.Inference;
using PromptCache.Runtime.Tests.Support;

namespace PromptCache.Runtime.Tests.Inference;

/// <summary>Wrong models fail at load time, naming what is wrong.</summary>
public sealed class LoadingErrorTests
{
    private static string CopyWithConfig(Action<JsonObject> edit)
    {
        string source = Fixtures.Folder("llama");
        string target = Path.Combine(Path.GetTempPath(), "promptcache-tests", "bad-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(target);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
        edit(config);
        File.WriteAllText(Path.Combine(target, "config.json"), config.ToJsonString());
        File.Copy(Path.Combine(source, "model.safetensors"), Path.Combine(target, "model.safetensors"));
        return target;
    }

    [Fact]
    public void Unsupported_architecture_is_named()
    {
        var e = Assert.Throws<NotSupportedException>(() => LlamaModel.Load(CopyWithConfig(c => c["model_type"] = "gpt2")));
        Assert.Contains("'gpt2'", e.Message);
    }

    [Fact]
    public void Wrong_shape_names_tensor_expected_and_actual()
    {
        var e = Assert.Throws<InvalidDataException>(() => LlamaModel.Load(CopyWithConfig(c => c["intermediate_size"] = 48)));
        Assert.Contains("model.layers.0.mlp.gate_proj.weight", e.Message);
        Assert.Contains("[64, 32]", e.Message);
        Assert.Contains("expected [48, 32]", e.Message);
    }

    [Fact]
    public void Missing_tensor_is_named()
    {
        var e = Assert.Throws<InvalidDataException>(() => LlamaModel.Load(CopyWithConfig(c => c["num_hidden_layers"] = 3)));
        Assert.Contains("model.layers.2.input_layernorm.weight", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void Unsupported_rope_type_is_named()
    {
        var e = Assert.Throws<NotSupportedException>(() => LlamaModel.Load(CopyWithConfig(c =>
            c["rope_parameters"] = new JsonObject { ["rope_type"] = "yarn", ["rope_theta"] = 10000.0, ["factor"] = 4.0 })));
        Assert.Contains("yarn", e.Message);
    }

    [Fact]
    public void Per_layer_type_rope_parameters_are_refused_rather_than_misread()
    {
        var e = Assert.Throws<NotSupportedException>(() => LlamaModel.Load(CopyWithConfig(c =>
            c["rope_parameters"] = new JsonObject
            {
                ["full_attention"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 1000000.0 },
                ["sliding_attention"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 10000.0 },
            })));
        Assert.Contains("full_attention", e.Message);
    }
}
