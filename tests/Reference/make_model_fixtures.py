"""Reference logits from HF transformers for tiny random Llama-family models (run on the GPU machine).

Usage: python3 make_model_fixtures.py OUT_DIR
For each of llama (llama3 RoPE scaling, untied), qwen2 (q/k/v bias, tied) and qwen3 (q/k norm,
explicit head_dim) writes OUT_DIR/<name>/ with config.json (transformers 5 layout), config_tf4.json
(the same config in the transformers 4 layout), model.safetensors (f32) and reference.json:
  plain:   one forward over ids at positions 0..n-1
  modular: two segments encoded on their own at discontinuous positions, their caches concatenated,
           then a query at later positions attending to both (position_ids + DynamicCache +
           cache_position).
Weights are re-drawn with unit-scale variance so logits are O(1) and attention is far from uniform:
HF's default init (std 0.02) gives near-constant logits that would hide most bugs.
"""
import json, math, os, sys
import torch
import transformers
from transformers import (DynamicCache, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM,
                          Qwen3Config, Qwen3ForCausalLM)

out_root = sys.argv[1]
torch.manual_seed(1234)
COMMON = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
              rms_norm_eps=1e-5)


def make_config(cls, rope, **kw):
    """transformers 5 takes rope_parameters; fall back to the 4.x keywords if this version lacks it."""
    try:
        return cls(**COMMON, **kw, rope_parameters=rope)
    except TypeError:
        legacy = {k: v for k, v in rope.items() if k != "rope_theta"}
        return cls(**COMMON, **kw, rope_theta=rope["rope_theta"], rope_scaling=legacy if legacy.get("rope_type") != "default" else None)


MODELS = {
    "llama": (LlamaForCausalLM, make_config(LlamaConfig, {
        "rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
        "high_freq_factor": 4.0, "original_max_position_embeddings": 64}, tie_word_embeddings=False)),
    "qwen2": (Qwen2ForCausalLM, make_config(Qwen2Config, {"rope_type": "default", "rope_theta": 1000000.0},
                                            tie_word_embeddings=True)),
    "qwen3": (Qwen3ForCausalLM, make_config(Qwen3Config, {"rope_type": "default", "rope_theta": 1000000.0},
                                            tie_word_embeddings=False, head_dim=16)),
}


def reinit(model):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif p.dim() == 1:  # biases
                p.copy_(0.3 * torch.randn_like(p))
            elif "embed_tokens" in name:
                p.copy_(torch.randn_like(p))
            else:
                p.copy_(torch.randn_like(p) / math.sqrt(p.shape[1]))


def layer_kv(cache, i):
    if hasattr(cache, "layers"):
        return cache.layers[i].keys, cache.layers[i].values
    return cache.key_cache[i], cache.value_cache[i]


def forward(model, ids, positions, cache=None, cache_position=None):
    out = model(input_ids=torch.tensor([ids]), position_ids=torch.tensor([positions]),
                past_key_values=cache if cache is not None else DynamicCache(), use_cache=True,
                cache_position=None if cache_position is None else torch.tensor(cache_position))
    return out.logits[0].double(), out.past_key_values


def modular(model, n_layers, segments, query):
    caches = [forward(model, s["ids"], s["positions"])[1] for s in segments]
    merged = DynamicCache()
    for i in range(n_layers):
        ks, vs = zip(*(layer_kv(c, i) for c in caches))
        merged.update(torch.cat(ks, dim=2), torch.cat(vs, dim=2), i)
    past = sum(len(s["ids"]) for s in segments)
    logits, _ = forward(model, query["ids"], query["positions"], merged,
                        list(range(past, past + len(query["ids"]))))
    return logits


def tf4_config(cfg):
    """Rewrite a transformers 5 config.json into the 4.x layout (rope_theta/rope_scaling, torch_dtype)."""
    c = dict(cfg)
    rope = c.pop("rope_parameters", None)
    if rope is not None:
        rope = dict(rope)
        c["rope_theta"] = rope.pop("rope_theta")
        c["rope_scaling"] = None if rope.get("rope_type", "default") == "default" else rope
    if "dtype" in c:
        c["torch_dtype"] = c.pop("dtype")
    return c


def rnd_ids(n):
    return torch.randint(0, COMMON["vocab_size"], (n,)).tolist()


for name, (cls, cfg) in MODELS.items():
    cfg._attn_implementation = "eager"
    model = cls(cfg).float().eval()
    reinit(model)
    d = os.path.join(out_root, name)
    model.save_pretrained(d, safe_serialization=True)
    with open(os.path.join(d, "config.json")) as f:
        saved = json.load(f)
    with open(os.path.join(d, "config_tf4.json"), "w") as f:
        json.dump(tf4_config(saved), f, indent=2)
    with torch.no_grad():
        plain_ids = rnd_ids(40)
        plain_pos = list(range(40))
        plain, _ = forward(model, plain_ids, plain_pos)
        segments = [{"ids": rnd_ids(12), "positions": list(range(0, 12))},
                    {"ids": rnd_ids(10), "positions": list(range(30, 40))}]
        query = {"ids": rnd_ids(6), "positions": list(range(70, 76))}
        mod = modular(model, cfg.num_hidden_layers, segments, query)
        # Self-check of the cache plumbing: a prefix-exact split must equal the plain forward.
        check = modular(model, cfg.num_hidden_layers,
                        [{"ids": plain_ids[:25], "positions": plain_pos[:25]}],
                        {"ids": plain_ids[25:], "positions": plain_pos[25:]})
        err = (check - plain[25:]).abs().max().item()
        assert err < 1e-4, f"{name}: prefix-exact modular differs from plain by {err}"
    ref = {
        "transformers": transformers.__version__, "torch": torch.__version__,
        "plain": {"ids": plain_ids, "positions": plain_pos, "logits": plain.tolist()},
        "modular": {"segments": segments, "query": query, "logits": mod.tolist()},
    }
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump(ref, f)
    print(f"{name}: saved; logits std {plain.std().item():.3f}; prefix-exact self-check {err:.2e}; "
          f"files {sorted(os.listdir(d))}")
