"""A larger HF parity model for the GPU check: saves a random LlamaForCausalLM (f32) with
transformers and its logits, in the layout of tests/PromptCache.Runtime.Tests/Fixtures/hf, so that
PromptCache.Cuda.Bench --hf-model DIR loads it with the CUDA backend and compares.

Usage: python3 hf_parity_model.py OUT_DIR
Shape: d 512, 4 layers, 4 heads x 128 (GQA, 2 kv heads: the tensor-core attention path), FFN 1376,
vocab 2000, llama3 RoPE scaling. plain: 640 tokens at 0..639. modular: modules of 200 and 150 tokens
encoded on their own at positions 0.. and 400.., then 64 query tokens at 700.. attending to both.
Computed on the CPU in float64 so the reference carries no GPU rounding of its own.
"""
import json
import math
import os
import sys

import torch
import transformers
from transformers import DynamicCache, LlamaConfig, LlamaForCausalLM

out = sys.argv[1]
torch.manual_seed(4321)
cfg = LlamaConfig(vocab_size=2000, hidden_size=512, intermediate_size=1376, num_hidden_layers=4,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
                  rms_norm_eps=1e-5, tie_word_embeddings=False,
                  rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                                   "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                   "original_max_position_embeddings": 256})
cfg._attn_implementation = "eager"
model = LlamaForCausalLM(cfg).float().eval()
with torch.no_grad():
    # Unit-scale weights: logits O(1) and peaked attention (HF's std-0.02 init hides bugs).
    for name, p in model.named_parameters():
        if name.endswith("norm.weight"):
            p.copy_(1.0 + 0.2 * torch.randn_like(p))
        elif "embed_tokens" in name:
            p.copy_(torch.randn_like(p))
        else:
            p.copy_(torch.randn_like(p) / math.sqrt(p.shape[1]))
model.save_pretrained(out, safe_serialization=True)
model = model.double()


def layer_kv(cache, i):
    if hasattr(cache, "layers"):
        return cache.layers[i].keys, cache.layers[i].values
    return cache.key_cache[i], cache.value_cache[i]


def run(ids, positions, cache=None, cache_position=None):
    o = model(input_ids=torch.tensor([ids]), position_ids=torch.tensor([positions]),
              past_key_values=cache if cache is not None else DynamicCache(), use_cache=True,
              cache_position=None if cache_position is None else torch.tensor(cache_position))
    return o.logits[0], o.past_key_values


def ids(n):
    return torch.randint(0, cfg.vocab_size, (n,)).tolist()


with torch.no_grad():
    plain_ids, plain_pos = ids(640), list(range(640))
    plain, _ = run(plain_ids, plain_pos)
    segments = [{"ids": ids(200), "positions": list(range(0, 200))},
                {"ids": ids(150), "positions": list(range(400, 550))}]
    query = {"ids": ids(64), "positions": list(range(700, 764))}
    caches = [run(s["ids"], s["positions"])[1] for s in segments]
    merged = DynamicCache()
    for i in range(cfg.num_hidden_layers):
        ks, vs = zip(*(layer_kv(c, i) for c in caches))
        merged.update(torch.cat(ks, dim=2), torch.cat(vs, dim=2), i)
    mod, _ = run(query["ids"], query["positions"], merged, list(range(350, 414)))

with open(os.path.join(out, "reference.json"), "w") as f:
    json.dump({"transformers": transformers.__version__, "torch": torch.__version__,
               "plain": {"ids": plain_ids, "positions": plain_pos, "logits": plain.float().tolist()},
               "modular": {"segments": segments, "query": query, "logits": mod.float().tolist()}}, f)
print(f"hf parity model saved to {out}: logits std {plain.std().item():.3f}")
