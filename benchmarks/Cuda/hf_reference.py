"""HF transformers reference TTFT on the same shapes as PromptCache.Cuda.Bench (random init, bf16, SDPA).

Full prefill of N tokens, and prefix reuse: the first N-32 tokens prefilled once, then a request
that deep-copies that DynamicCache and computes the last 32 tokens. Median of 7 after 2 warm-ups,
timed with CUDA events around model(...) + argmax of the last logits.
"""
import copy
import statistics
import sys

import torch
from transformers import DynamicCache, LlamaConfig, LlamaForCausalLM

SIZES = [2048, 4096, 8192]


def timed(fn, reps=7, warmup=2):
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


def main():
    config = LlamaConfig(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                         num_key_value_heads=32, vocab_size=32000, max_position_embeddings=16384)
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = LlamaForCausalLM(config).to(torch.bfloat16).eval()
    print(f"HF transformers {__import__('transformers').__version__}, torch {torch.__version__}, {torch.cuda.get_device_name()}")
    with torch.inference_mode():
        for n in SIZES:
            ids = torch.randint(0, config.vocab_size, (1, n), device="cuda")
            full = timed(lambda: model(ids, logits_to_keep=1).logits[:, -1].argmax(-1).item())
            prefix = DynamicCache()
            model(ids[:, : n - 32], past_key_values=prefix, use_cache=True)
            def reuse():
                cache = copy.deepcopy(prefix)
                return model(ids[:, n - 32:], past_key_values=cache, use_cache=True, logits_to_keep=1).logits[:, -1].argmax(-1).item()
            cached = timed(reuse)
            print(f"HF llama2-7b shape  tokens {n:6d}  full prefill {full:8.2f} ms  prefix reuse (32 new) {cached:8.2f} ms")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
