#!/usr/bin/env bash
# Run on the GPU machine (python3 with torch, transformers 5.17, tokenizers 0.23), from the repo root,
# with the shared tokenizer files copied into .device/tokenizers (an ignored, carried folder).
set -euo pipefail
work=$(mktemp -d)
cd tests/Reference
python3 -c "import torch, transformers, tokenizers; print('torch', torch.__version__, 'transformers', transformers.__version__, 'tokenizers', tokenizers.__version__)"
python3 make_tokenizer_fixtures.py ../../.device/tokenizers "$work/tokenizers"
python3 make_model_fixtures.py "$work/models"
tar -C "$work" -czf "$OUT/fixtures.tar.gz" tokenizers models
ls -la "$OUT"
