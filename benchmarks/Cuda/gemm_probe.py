# Probe (python3 + torch on the GPU machine): are 3 (or 2) same-input prefill GEMMs faster as one batched launch, and what
# does beta=1 (the residual add in the GEMM epilogue) cost? Run: python3 benchmarks/Cuda/gemm_probe.py
import torch, statistics
torch.backends.cuda.matmul.allow_tf32 = False
dev = 'cuda'
def t(fn, reps=30):
    for _ in range(5): fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        s = torch.cuda.Event(enable_timing=True); e = torch.cuda.Event(enable_timing=True)
        s.record(); fn(); e.record(); torch.cuda.synchronize(); ts.append(s.elapsed_time(e) * 1000)
    return statistics.median(ts)
for M in (2048, 4096):
    for (N, K, B) in ((4096, 4096, 3), (11008, 4096, 2), (14336, 4096, 2), (1024, 4096, 2)):
        x = torch.randn(M, K, device=dev, dtype=torch.bfloat16)
        W = torch.randn(B, N, K, device=dev, dtype=torch.bfloat16) * 0.02
        outs = [torch.empty(M, N, device=dev, dtype=torch.bfloat16) for _ in range(B)]
        sep = t(lambda: [torch.mm(x, W[i].t(), out=outs[i]) for i in range(B)])
        xb = x.unsqueeze(0).expand(B, M, K)
        ob = torch.empty(B, M, N, device=dev, dtype=torch.bfloat16)
        bat = t(lambda: torch.bmm(xb, W.transpose(1, 2), out=ob))
        Wc = W.reshape(B * N, K)
        oc = torch.empty(M, B * N, device=dev, dtype=torch.bfloat16)
        cat = t(lambda: torch.mm(x, Wc.t(), out=oc))
        fl = 2.0 * M * N * K * B
        print(f"M {M} N {N} K {K} x{B}: separate {sep:7.1f} us ({fl/sep/1e6:5.0f} TF/s), batched {bat:7.1f} us ({fl/bat/1e6:5.0f}), concatenated {cat:7.1f} us ({fl/cat/1e6:5.0f})")
    # residual in the epilogue: f32 out vs bf16 out, addmm with beta=1
    for (N, K) in ((4096, 4096), (4096, 11008)):
        a = torch.randn(M, K, device=dev, dtype=torch.bfloat16); w = torch.randn(N, K, device=dev, dtype=torch.bfloat16) * 0.02
        r = torch.randn(M, N, device=dev, dtype=torch.bfloat16)
        plain = t(lambda: torch.mm(a, w.t()))
        add = t(lambda: torch.addmm(r, a, w.t(), beta=1.0))
        try:
            f32 = t(lambda: torch.mm(a, w.t(), out_dtype=torch.float32))
        except Exception as ex:
            f32 = float('nan'); print('out_dtype:', ex)
        fl = 2.0 * M * N * K
        print(f"M {M} N {N} K {K}: bf16 out {plain:7.1f} us ({fl/plain/1e6:5.0f}), addmm beta=1 {add:7.1f} us ({fl/add/1e6:5.0f}), f32 out {f32:7.1f} us")
