"""How close HF transformers' own bf16 forward comes to the f64 reference of the parity model, by the same
measures the CUDA checks use (relative L2 of the logits, top-1 agreement, near-tie misses): what "bf16
tolerance" means for this model when the reference implementation itself runs in bf16.

Usage (GPU machine, after hf_parity_model.py saved the model): python3 hf_bf16_parity.py /tmp/hf-parity/llama-hd128
"""
import json
import os
import sys

import torch
from transformers import LlamaForCausalLM

folder = sys.argv[1]
with open(os.path.join(folder, "reference.json")) as f:
    ref = json.load(f)
plain = ref["plain"]
reference = torch.tensor(plain["logits"], dtype=torch.float64)


def compare(name, logits):
    logits = logits.double().cpu()
    rel = ((logits - reference).norm() / reference.norm()).item()
    ours, theirs = logits.argmax(-1), reference.argmax(-1)
    agree = (ours == theirs).sum().item()
    rows = reference.shape[0]
    span = reference.max(-1).values - reference.min(-1).values
    gap = reference.gather(1, theirs[:, None])[:, 0] - reference.gather(1, ours[:, None])[:, 0]
    near = ((ours != theirs) & (gap <= 0.01 * span)).sum().item()
    print(f"{name:34s} relL2 {rel:.3e}  top1 {100 * agree / rows:.1f}% of {rows}  ({rows - agree} misses, {near} near-tie)")


ids = torch.tensor([plain["ids"]], device="cuda")
pos = torch.tensor([plain["positions"]], device="cuda")
torch.backends.cuda.matmul.allow_tf32 = False
for dtype, attn in [(torch.float32, "sdpa"), (torch.bfloat16, "sdpa"), (torch.bfloat16, "eager")]:
    model = LlamaForCausalLM.from_pretrained(folder, torch_dtype=dtype, attn_implementation=attn).cuda().eval()
    with torch.no_grad():
        logits = model(input_ids=ids, position_ids=pos).logits[0]
    compare(f"HF {str(dtype).split('.')[-1]} {attn} (GPU)", logits)
