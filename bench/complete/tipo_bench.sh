#!/usr/bin/env bash
# Issue #15 "Measured": Tagmetry vs llama.cpp's own llama-bench on a random-weights Q8_0 GGUF of TIPO-200M's
# shape (bench/complete/tipo_bench.cpp writes it into /tmp, 216 MB), same file, same threads, run back to
# back. llama-bench is built from the pinned llama.cpp source the main build cloned (build/_deps/llama.cpp)
# into BUILD/_deps/llama-bench-build, only here.
# Usage: bench/complete/tipo_bench.sh BUILD [REPS] [THREADS...]     (default: 3 reps, threads 2 and 1)
# The model is written once to $TIPO_BENCH_GGUF (default /tmp/tagmetry-tipo200m-q8_0.gguf) and reused.
# Prints, per thread count, the median of REPS of: Tagmetry's runner pp64 / tg128 t/s (tipo_bench speed:
# its start() and next() + sampler + piece()), llama-bench's pp64 / tg128, the ratios; the model load time;
# and a full `tagmetry complete --length long --max-new-tokens 120` run (tokens, seconds, wall and CPU).
set -euo pipefail
build=$(cd "${1:?usage: tipo_bench.sh BUILD [REPS] [THREADS...]}" && pwd)
reps=${2:-3}
shift $(( $# > 1 ? 2 : 1 ))
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(2 1)
here="$(cd "$(dirname "$0")/../.." && pwd)"
source "$here/bench/complete/llama_bench_build.sh"
lb=$(build_llama_bench "$build")
gguf=${TIPO_BENCH_GGUF:-/tmp/tagmetry-tipo200m-q8_0.gguf}
[ -f "$gguf" ] || "$build/bench/complete/tipo_bench" write "$gguf"
cat "$gguf" > /dev/null  # into the page cache
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TAGMETRY_CACHE="$work/cache"
echo "GGUF $gguf ($(du -m "$gguf" | cut -f1) MB), $reps reps, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in "${threads[@]}"; do
  for r in $(seq 1 "$reps"); do
    "$build/bench/complete/tipo_bench" speed "$gguf" "$t" 64 128 1 >> "$work/tm$t.txt"
    "$lb" -m "$gguf" -t "$t" -p 64 -n 128 -r 1 -o jsonl >> "$work/lb$t.jsonl"
    /usr/bin/time -f '%e %U %S' -o "$work/time" "$build/bin/tagmetry" complete "1girl, blue hair, smile" \
      --model-file "$gguf" --length long --threads "$t" --max-new-tokens 120 --keep-unknown --seed "$r" --json \
      > "$work/c.json"
    echo "$(cat "$work/time") $(tr -d '\n' < "$work/c.json")" >> "$work/complete$t.txt"
  done
  /usr/bin/python3 - "$t" "$work/tm$t.txt" "$work/lb$t.jsonl" "$work/complete$t.txt" <<'PY'
import json, re, statistics as st, sys
t, tm, lb, cp = sys.argv[1:]
text = open(tm).read()
load = [float(x) for x in re.findall(r"load: ([\d.]+) s wall", text)]
pp = [float(x) for x in re.findall(r"pp64 ([\d.]+) t/s", text)]
tg = [float(x) for x in re.findall(r"tg128 ([\d.]+) t/s", text)]
tg_cpu = [float(w) and float(c) / float(w) for w, c in re.findall(r"tg128 [\d.]+ t/s \(([\d.]+) s wall, ([\d.]+) s CPU", text)]
split = re.findall(r"decode ([\d.]+), sample ([\d.]+), piece ([\d.]+)", text)
rows = [json.loads(l) for l in open(lb) if l.strip()]
lpp = [r["avg_ts"] for r in rows if r["n_prompt"] > 0]
ltg = [r["avg_ts"] for r in rows if r["n_gen"] > 0]
m = st.median
print(f"threads {t}: tagmetry pp64 {m(pp):.1f} t/s, tg128 {m(tg):.1f} t/s (CPU/wall {m(tg_cpu):.2f}; "
      f"per token decode {1e3*m(float(d) for d,_,_ in split)/128:.2f} ms, sample {1e3*m(float(s) for _,s,_ in split)/128:.3f} ms)")
print(f"threads {t}: llama-bench pp64 {m(lpp):.1f} t/s, tg128 {m(ltg):.1f} t/s")
print(f"threads {t}: ratio tagmetry / llama-bench: pp {m(pp)/m(lpp):.3f}, tg {m(tg)/m(ltg):.3f}; "
      f"runs pp {[round(x,1) for x in pp]} vs {[round(x,1) for x in lpp]}, tg {[round(x,1) for x in tg]} vs {[round(x,1) for x in ltg]}")
print(f"threads {t}: load (page cache) median {m(load):.3f} s of {load}")
runs = []
for line in open(cp):
    w, u, s, js = line.split(" ", 3)
    j = json.loads(js)
    runs.append((float(w), float(u) + float(s), j["tokens"], j["seconds"], j["load_seconds"], len(j["added"])))
print(f"threads {t}: complete --length long: " + "; ".join(
    f"{n} tokens, {a} tags added, generation {g:.2f} s, load {l:.2f} s, process {w:.2f} s wall / {c:.2f} s CPU"
    for w, c, n, g, l, a in runs))
PY
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
