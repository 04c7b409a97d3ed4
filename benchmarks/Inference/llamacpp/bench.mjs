// llama.cpp side of benchmarks/Inference: the same GGUF, the same thread count, the same measurements
// as the .NET benchmark (prefill until the first token, decode ms/token, cached-suffix TTFT), medians.
// Usage: node bench.mjs --model /tmp/promptcache-bench/llama-1b-v512-f16.gguf [--lengths 128,512,2048]
//                       [--reps 5] [--decode 16] [--suffix 32] [--threads 2]
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const args = process.argv.slice(2);
const arg = (name, fallback) => { const i = args.indexOf("--" + name); return i >= 0 ? args[i + 1] : fallback; };
const modelPath = arg("model");
if (!modelPath) { console.error("--model PATH is required"); process.exit(2); }
const lengths = arg("lengths", "128,512,2048").split(",").map(Number);
const reps = Number(arg("reps", "5"));
const decodeTokens = Number(arg("decode", "16"));
const suffix = Number(arg("suffix", "32"));
const threads = Number(arg("threads", "2"));

const clock = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };
let seed = 12345;
const randomIds = (n, vocab) => Array.from({length: n}, () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return 3 + (seed % (vocab - 3)); });

// build: "never" and skipDownload: fail rather than fetch or compile llama.cpp.
const llama = await getLlama({gpu: false, build: "never", skipDownload: true, maxThreads: threads, logLevel: LlamaLogLevel.warn});
const model = await llama.loadModel({modelPath});
const maxLength = Math.max(...lengths) + Math.max(decodeTokens, suffix) + 8;
const context = await model.createContext({contextSize: Math.max(4096, maxLength), batchSize: 512, threads, flashAttention: true, sequences: 1});
const sequence = context.getSequence();
const vocab = model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length ?? 512;
const bos = model.tokens.bos ?? 1;

// Evaluates `tokens`, then keeps generating greedily; returns the time to each sampled token.
async function run(tokens, count) {
    const times = [];
    const start = clock();
    let last = start;
    const it = sequence.evaluate(tokens, {temperature: 0});
    for (let i = 0; i < count; i++) {
        const r = await it.next();
        if (r.done) break;
        const t = clock();
        times.push(t - last);
        last = t;
    }
    await it.return();
    return times;
}

await sequence.clearHistory();
await run([bos, ...randomIds(63, vocab)], 2); // warm-up: page in weights, build graphs

console.log(`| engine | model | prompt | prefill ms | prefill tok/s | decode ms/tok | decode tok/s | cached-suffix TTFT ms |`);
console.log(`|---|---|---:|---:|---:|---:|---:|---:|`);
for (const n of lengths) {
    const prefill = [], decode = [], cached = [];
    for (let rep = 0; rep < reps; rep++) {
        await sequence.clearHistory();
        const times = await run([bos, ...randomIds(n - 1, vocab)], 1 + decodeTokens);
        prefill.push(times[0]);
        decode.push(...times.slice(1));
        // Cached suffix: the n-token prompt stays in the KV cache; only `suffix` new tokens are computed.
        await sequence.eraseContextTokenRanges([{start: n, end: sequence.nextTokenIndex}]);
        const [ttft] = await run(randomIds(suffix, vocab), 1);
        cached.push(ttft);
    }
    const p = median(prefill), d = median(decode), c = median(cached);
    console.log(`| llama.cpp ${llama.llamaCppRelease.release} | ${modelPath.split("/").pop()} | ${n} | ${p.toFixed(0)} | ${(n / p * 1000).toFixed(1)} | ${d.toFixed(1)} | ${(1000 / d).toFixed(1)} | ${c.toFixed(0)} |`);
}
await context.dispose();
await model.dispose();
