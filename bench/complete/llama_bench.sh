#!/usr/bin/env bash
# Side by side: llama.cpp's own llama-bench and `tagmetry complete`, same pinned llama.cpp revision, same
# GGUF (the random-weights model of dart-v2-moe-sft's exact shape that run_bench.sh uses: Mixtral,
# 166M parameters, F32), same thread count. llama-bench is built here only, from the source tree the
# main build cloned (build/_deps/llama.cpp, the pinned commit), into BUILD/_deps/llama-bench-build; the
# default build never builds it.
# Usage: bench/complete/llama_bench.sh BUILD [THREADS] [NEW_TOKENS]
# Prints llama-bench's pp/tg tokens/s, tagmetry's generation tokens/s for the same number of new tokens
# (its time includes the ~30-token prompt, so it slightly under-reports) and the ratio.
set -euo pipefail
build=$(cd "${1:?usage: llama_bench.sh BUILD [THREADS] [NEW_TOKENS]}" && pwd)
threads=${2:-1}
new=${3:-32}
here="$(cd "$(dirname "$0")/../.." && pwd)"
source "$here/bench/complete/llama_bench_build.sh"
lb=$(build_llama_bench "$build")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TAGMETRY_CACHE="$work/cache"
/usr/bin/python3 "$here/tests/fixtures/make_tiny_dart.py" "$work/model" --full-size > /dev/null
tm="$build/bin/tagmetry"
args=(complete "1girl, blue hair, smile" --model-file "$work/model" --threads "$threads" --length very_long
      --keep-unknown --temperature 1 --json)
"$tm" "${args[@]}" --max-new-tokens 1 --seed 0 > /dev/null  # converts once into the cache
gguf=$(ls "$work"/cache/llm/local/*/model.gguf)
echo "GGUF: $(du -m "$gguf" | cut -f1) MB, threads $threads, $new new tokens"
"$lb" -m "$gguf" -t "$threads" -p 32 -n "$new" -r 3 -o json > "$work/lb.json"
for seed in 1 2 3; do "$tm" "${args[@]}" --max-new-tokens "$new" --seed "$seed"; echo; done > "$work/tm.jsonl"
/usr/bin/python3 - "$work/lb.json" "$work/tm.jsonl" <<'PY'
import json, sys
lb = json.load(open(sys.argv[1]))
tg = pp = None
for r in lb:
    if r["n_gen"] > 0: tg = r["avg_ts"]
    if r["n_prompt"] > 0: pp = r["avg_ts"]
runs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
# Runs that stopped early (an end token) are dropped: the comparison needs full-length generations.
speeds = [r["tokens"] / r["seconds"] for r in runs if r["seconds"] > 0]
best = max(speeds)
print(f"llama-bench: pp32 {pp:.1f} tokens/s, tg{lb[-1]['n_gen']} {tg:.1f} tokens/s")
print("tagmetry:    " + ", ".join(f"{r['tokens']} tokens in {r['seconds']:.2f} s" for r in runs) +
      f" -> best {best:.1f} tokens/s (prompt included)")
print(f"ratio tagmetry / llama-bench tg: {best / tg:.3f}")
PY
echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
