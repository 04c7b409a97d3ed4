namespace PromptCache.Runtime.Loading;

/// <summary>The tensor names one file format uses for the Llama-family weights.</summary>
internal abstract class TensorNames
{
    public abstract string Embedding { get; }
    public abstract string FinalNorm { get; }
    public abstract string Output { get; }
    public abstract string Layer(int layer, LayerTensor tensor);

    public static readonly TensorNames HuggingFace = new HfNames();
    public static readonly TensorNames Gguf = new GgufNames();

    private sealed class HfNames : TensorNames
    {
        public override string Embedding => "model.embed_tokens.weight";
        public override string FinalNorm => "model.norm.weight";
        public override string Output => "lm_head.weight";
        public override string Layer(int layer, LayerTensor tensor) => $"model.layers.{layer}." + tensor switch
        {
            LayerTensor.AttentionNorm => "input_layernorm.weight",
            LayerTensor.Query => "self_attn.q_proj.weight",
            LayerTensor.Key => "self_attn.k_proj.weight",
            LayerTensor.Value => "self_attn.v_proj.weight",
            LayerTensor.Output => "self_attn.o_proj.weight",
            LayerTensor.QueryBias => "self_attn.q_proj.bias",
            LayerTensor.KeyBias => "self_attn.k_proj.bias",
            LayerTensor.ValueBias => "self_attn.v_proj.bias",
            LayerTensor.QueryNorm => "self_attn.q_norm.weight",
            LayerTensor.KeyNorm => "self_attn.k_norm.weight",
            LayerTensor.FfnNorm => "post_attention_layernorm.weight",
            LayerTensor.Gate => "mlp.gate_proj.weight",
            LayerTensor.Up => "mlp.up_proj.weight",
            LayerTensor.Down => "mlp.down_proj.weight",
            _ => throw new ArgumentOutOfRangeException(nameof(tensor)),
        };
    }

    private sealed class GgufNames : TensorNames
    {
        public override string Embedding => "token_embd.weight";
        public override string FinalNorm => "output_norm.weight";
        public override string Output => "output.weight";
        public override string Layer(int layer, LayerTensor tensor) => $"blk.{layer}." + tensor switch
        {
            LayerTensor.AttentionNorm => "attn_norm.weight",
            LayerTensor.Query => "attn_q.weight",
            LayerTensor.Key => "attn_k.weight",
            LayerTensor.Value => "attn_v.weight",
            LayerTensor.Output => "attn_output.weight",
            LayerTensor.QueryBias => "attn_q.bias",
            LayerTensor.KeyBias => "attn_k.bias",
            LayerTensor.ValueBias => "attn_v.bias",
            LayerTensor.QueryNorm => "attn_q_norm.weight",
            LayerTensor.KeyNorm => "attn_k_norm.weight",
            LayerTensor.FfnNorm => "ffn_norm.weight",
            LayerTensor.Gate => "ffn_gate.weight",
            LayerTensor.Up => "ffn_up.weight",
            LayerTensor.Down => "ffn_down.weight",
            _ => throw new ArgumentOutOfRangeException(nameof(tensor)),
        };
    }
}

/// <summary>The per-layer tensors of a Llama-family block.</summary>
internal enum LayerTensor
{
    AttentionNorm, Query, Key, Value, Output, QueryBias, KeyBias, ValueBias, QueryNorm, KeyNorm, FfnNorm, Gate, Up, Down,
}
