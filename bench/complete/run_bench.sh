#!/usr/bin/env bash
# tagmetry complete on a random-weights model of dart-v2-moe-sft's exact shape (Mixtral, 4 layers,
# 768 hidden, 4 experts / 2 used, 30643 tokens, F32: 166M parameters, 663 MB), CPU.
# Usage: bench/complete/run_bench.sh BUILD [THREADS] [RUNS]
# Prints the conversion time (safetensors -> GGUF, once), the model load time and the generation speed
# of each run (tokens/s; the model is random, so the tags are noise: only the speed means something).
set -euo pipefail
build=${1:?usage: run_bench.sh BUILD [THREADS] [RUNS]}
threads=${2:-2}
runs=${3:-3}
here="$(cd "$(dirname "$0")/../.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TAGMETRY_CACHE="$work/cache"
/usr/bin/python3 "$here/tests/fixtures/make_tiny_dart.py" "$work/model" --full-size
tm="$build/bin/tagmetry"
args=(complete "1girl, blue hair, smile" --model-file "$work/model" --threads "$threads" --length very_long
      --keep-unknown --top-k 100 --temperature 1 --json)
start=$(date +%s.%N)
"$tm" "${args[@]}" --max-new-tokens 1 --seed 0 > /dev/null
echo "convert + first load: $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $start}") s ($(du -m "$work"/cache/llm/local/*/model.gguf | cut -f1) MB GGUF)"
for i in $(seq 1 "$runs"); do
  "$tm" "${args[@]}" --max-new-tokens 120 --seed "$i" | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
t, s, l = r["tokens"], r["seconds"], r["load_seconds"]
print("run: load %.2f s, %d tokens in %.2f s = %.1f tokens/s, %d tags" % (l, t, s, t / max(s, 1e-9), len(r["tags"])))'
done
echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
