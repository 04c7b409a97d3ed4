"""HF transformers reference TTFT on the same shapes as PromptCache.Cuda.Bench (random init, bf16, SDPA).

Shapes: Llama-2-7B (MHA, vocab 32000; 2048/4096/8192 tokens) and Llama-3-8B (GQA 32/8, FFN 14336,
vocab 128256, rope_theta 500000 without llama3 scaling, like the bench's random model; 4096/8192).
Per size: full prefill of N tokens, and prefix reuse: the first N-32 tokens prefilled once, then a
request that deep-copies that DynamicCache and computes the last 32 tokens. Median of 7 after 2
warm-ups, each row after SETTLE_S seconds of idle GPU (default 2, as the .NET bench), timed with
CUDA events around model(...) + argmax of the last logits (.item(), so the token reaches the host
as in the bench). Then greedy decode at batch 1 after the 4096-token prefix
(32 steps after 2 warm-ups, median ms per step, wall clock incl. the token's trip to the host).

The model is created directly on the GPU in bf16 (default dtype + default device), so the random
init runs as GPU kernels; no f32 copy, no CPU init. Usage: hf_reference.py [llama2-7b,llama3-8b]
"""
import copy
import os
import statistics
import sys
import time

import torch
from transformers import DynamicCache, LlamaConfig, LlamaForCausalLM

SHAPES = {
    "llama2-7b": (dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                       num_key_value_heads=32, vocab_size=32000, max_position_embeddings=16384), [2048, 4096, 8192]),
    "llama3-8b": (dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                       num_key_value_heads=8, vocab_size=128256, max_position_embeddings=16384,
                       rope_parameters={"rope_type": "default", "rope_theta": 500000.0}),
                  [4096, 8192]),
}
NEW = 32
DECODE_STEPS = 32


# Seconds the GPU idles before each timed row, as the .NET bench does (both read SETTLE_S, default 2): a row's time
# then does not depend on how hot the previous rows left the power-capped GPU.
SETTLE_S = float(os.environ.get("SETTLE_S", "2"))


def timed(fn, reps=7, warmup=2):
    torch.cuda.synchronize()
    time.sleep(SETTLE_S)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize()
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def create(kwargs):
    config = LlamaConfig(**kwargs)
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device("cuda"):
            model = LlamaForCausalLM(config).eval()
    finally:
        torch.set_default_dtype(previous)
    return config, model


def decode(model, prefix, first_token):
    """Greedy decode at batch 1 on a copy of the prefix cache: median ms per token (wall clock)."""
    cache = copy.deepcopy(prefix)
    token = first_token
    times = []
    for step in range(DECODE_STEPS + 2):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        logits = model(token, past_key_values=cache, use_cache=True, logits_to_keep=1).logits
        token = logits[:, -1:].argmax(-1)
        token.item()
        if step >= 2:
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def run_shape(name):
    kwargs, sizes = SHAPES[name]
    t0 = time.perf_counter()
    config, model = create(kwargs)
    torch.cuda.synchronize()
    print(f"HF {name}: model created on the GPU in {time.perf_counter() - t0:.1f} s "
          f"({sum(p.numel() for p in model.parameters()) / 1e9:.2f} B parameters, bf16, "
          f"rope {getattr(config, 'rope_parameters', None)})")
    with torch.inference_mode():
        for n in sizes:
            ids = torch.randint(0, config.vocab_size, (1, n), device="cuda")
            full = timed(lambda: model(ids, logits_to_keep=1).logits[:, -1].argmax(-1).item())
            prefix = DynamicCache()
            model(ids[:, : n - NEW], past_key_values=prefix, use_cache=True)

            def reuse():
                cache = copy.deepcopy(prefix)
                return model(ids[:, n - NEW:], past_key_values=cache, use_cache=True, logits_to_keep=1).logits[:, -1].argmax(-1).item()

            cached = timed(reuse)
            print(f"HF {name} shape  tokens {n:6d}  full prefill {full:8.2f} ms  prefix reuse ({NEW} new) {cached:8.2f} ms")
            sys.stdout.flush()
            if n == 4096:
                ms = decode(model, prefix, ids[:, n - NEW: n - NEW + 1])
                print(f"HF {name} shape  decode after {n - NEW} cached tokens: {ms:.2f} ms/token = {1000 / ms:.1f} tokens/s (batch 1, median of {DECODE_STEPS})")
                sys.stdout.flush()
            del prefix
    del model
    torch.cuda.empty_cache()


def main():
    names = sys.argv[1].split(",") if len(sys.argv) > 1 else list(SHAPES)
    print(f"HF transformers {__import__('transformers').__version__}, torch {torch.__version__}, {torch.cuda.get_device_name()}")
    for name in names:
        try:
            run_shape(name)
        except Exception as e:  # one shape failing (e.g. out of memory) must not hide the other's numbers
            print(f"HF {name}: FAILED: {type(e).__name__}: {e}")
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
