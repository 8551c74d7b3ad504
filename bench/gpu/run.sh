#!/usr/bin/env bash
# The GPU check (issue #16): run on a machine with an NVIDIA GPU, from the repository root, with
#   build/bin/tagmetry                the binary built on the build machine
#   ONNX Runtime's GPU libraries      $ORT_DIR (default build/onnxruntime/lib): libonnxruntime.so.1 (ORT 1.29 from
#                                     com.github.asus4.onnxruntime), libonnxruntime_providers_cuda.so and
#                                     libonnxruntime_providers_shared.so (com.github.asus4.onnxruntime.linux-x64-gpu)
#   bench/gpu/data                    made by bench/gpu/prepare.sh on the build machine
# and nothing else (no network). Needs python3 (standard library only) to regenerate the model's weights.
# Prints nvidia-smi, finds the CUDA 13 / cuDNN 9 libraries and puts them on LD_LIBRARY_PATH, tags ~1,024
# 1-4 MP JPEGs with --device cuda at several batch sizes and decode-thread counts, prints images/s and the
# provider in use, compares tags with a CPU run on the first images, repeats a run 7 times (twice: ORT's
# environment released before exit, the default, and kept to the end) to catch a crash at exit, and
# writes everything to $OUT/gpu.log. Exit status: 0 all good; 1 a crash (exit >= 128), a failed run or
# no CUDA provider.
#   bench/gpu/run.sh                      # the full check (about 4 minutes on an H200)
#   DEVICE=cpu N=8 bench/gpu/run.sh       # the same script on a machine without a GPU (smoke test)
# Also: decode + preprocess alone per thread (tagger_bench --decode-only, beside the binary), the fp16 copy
# built once and checked, fp32 with TF32 (the default) and --no-tf32, the device's default batch/threads,
# IO binding with pinned memory (TAGMETRY_IO_BINDING=1), GPU utilisation (mean and peak) per run.
# Knobs: N (images, 1024), BATCHES ("32 64"), THREADS (decode threads, "8 14 <cores>"), REPEAT (7),
# PRECISIONS ("fp32", plus fp16 where `tag --help` offers it), WORK (scratch folder), BENCH (tagger_bench).
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${OUT:-$root/gpu-out}"
mkdir -p "$out"
log="$out/gpu.log"
: >"$log"
device="${DEVICE:-cuda}"
n="${N:-1024}"
cores="$(nproc)"
batches="${BATCHES:-32 64}"
threads="${THREADS:-8 $((cores > 2 ? cores - 2 : 1)) $cores}"
repeat="${REPEAT:-7}"
work="${WORK:-${TMPDIR:-/tmp}/tagmetry-gpu-check}"
bin="${BIN:-$root/build/bin/tagmetry}"
bench_bin="${BENCH:-$(dirname "$bin")/tagger_bench}"
ort_dir="${ORT_DIR:-$root/build/onnxruntime/lib}"
data="${DATA:-$root/bench/gpu/data}"
failures=0

say() { echo "$*" | tee -a "$log"; }
section() { say ""; say "=== $* ==="; }
fail() { say "FAIL: $*"; failures=$((failures + 1)); }
# Runs a command, its output to the log (and the screen).
logged() { "$@" 2>&1 | tee -a "$log"; return "${PIPESTATUS[0]}"; }

section "machine"
say "date: $(date -u +%FT%TZ)  host: $(hostname)  cores: $cores  memory: $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
say "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
say "os: $(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-?}")  glibc: $(ldd --version 2>/dev/null | head -1 | awk '{print $NF}')"
if command -v nvidia-smi >/dev/null; then
  logged nvidia-smi
else
  say "nvidia-smi: not found"
  [[ "$device" == cpu ]] || fail "no nvidia-smi on a machine meant to have an NVIDIA GPU"
fi

section "CUDA / cuDNN libraries"
# Where CUDA 13 and cuDNN 9 usually are: the toolkit, the distribution's folders, NVIDIA's pip wheels.
wanted=(libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcufft.so.12 libcudnn.so.9)
roots=(/usr/local/cuda*/lib64 /usr/local/cuda*/lib /usr/local/cuda*/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu /usr/lib64
       /usr/local/lib /opt/nvidia /opt/conda/lib)
for site in /usr/lib/python3*/site-packages /usr/lib/python3/dist-packages /usr/local/lib/python3*/*-packages \
            "$HOME"/.local/lib/python3*/site-packages /opt/conda/lib/python3*/site-packages /opt/*/lib/python3*/site-packages; do
  [[ -d "$site/nvidia" ]] && roots+=("$site/nvidia")
done
# NVIDIA's pip wheels in whatever environment python3 is (a virtual environment's site-packages included).
while read -r site; do
  [[ -d "$site/nvidia" ]] && roots+=("$site/nvidia")
done < <(python3 -c 'import site; print("\n".join(site.getsitepackages()))' 2>/dev/null)
libdirs=()
for lib in "${wanted[@]}"; do
  found=""
  for r in "${roots[@]}"; do
    [[ -d "$r" ]] || continue
    found="$(find "$r" -maxdepth 3 -name "$lib" \( -type f -o -type l \) 2>/dev/null | head -1)"
    [[ -n "$found" ]] && break
  done
  if [[ -z "$found" ]]; then
    found="$(ldconfig -p 2>/dev/null | awk -v l="$lib" '$1 == l {print $NF; exit}')"
  fi
  if [[ -n "$found" ]]; then
    say "  $lib: $found"
    d="$(dirname "$found")"
    [[ " ${libdirs[*]-} " == *" $d "* ]] || libdirs+=("$d")
  else
    say "  $lib: NOT FOUND"
  fi
done
say "  other CUDA versions present: $(ls /usr/local 2>/dev/null | grep -i cuda | xargs) $(ldconfig -p 2>/dev/null | grep -o 'libcudart.so.[0-9]*' | sort -u | xargs)"
lp="$ort_dir"
for d in "${libdirs[@]-}"; do [[ -n "$d" ]] && lp="$lp:$d"; done
export LD_LIBRARY_PATH="$lp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
say "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"

section "tagmetry"
if [[ ! -x "$bin" ]]; then
  fail "$bin is missing"
  exit 1
fi
say "binary: $bin ($(stat -c %s "$bin") bytes)  ORT_DIR: $ort_dir"
logged ls -lL "$ort_dir"
missing="$(ldd "$bin" | grep 'not found')"
if [[ -n "$missing" ]]; then
  say "$missing"
  fail "the binary's libraries are not all here (see above)"
  exit 1
fi
say "libonnxruntime: $(ldd "$bin" | awk '/libonnxruntime/ {print $3}')"
logged "$bin" --version
logged "$bin" doctor || fail "tagmetry doctor failed"

section "model and images"
model="$data/vit-b16-448"
if [[ ! -f "$model/model.onnx" ]]; then
  fail "$model/model.onnx is missing: run bench/gpu/prepare.sh on the build machine and carry bench/gpu/data"
  exit 1
fi
if [[ ! -f "$model/weights.bin" ]]; then
  t0=$(date +%s.%N)
  logged python3 "$root/bench/gpu/fill_weights.py" "$model" || { fail "cannot write the model's weights"; exit 1; }
  say "weights written in $(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || echo '?') s"
fi
# N distinct files from the 12 base JPEGs: each gets its own comment segment after SOI (FF D8), so the
# content hashes differ (no score reuse) while decoding costs the same.
images="$work/images-$n"
bases=("$data"/images/*.jpg)
if [[ ! -f "$images/.done" ]]; then
  rm -rf "$images"
  mkdir -p "$images"
  for ((i = 0; i < n; i++)); do
    b="${bases[$((i % ${#bases[@]}))]}"
    f="$images/img$(printf %05d "$i").jpg"
    { printf '\xff\xd8\xff\xfe\x00\x0c%010d' "$i"; tail -c +3 "$b"; } >"$f"
  done
  touch "$images/.done"
fi
say "$n images in $images ($(du -sh "$images" | cut -f1)), from ${#bases[@]} bases of 1-4 MP"
first="$work/first-16"
rm -rf "$first" && mkdir -p "$first"
ls "$images" | grep '\.jpg$' | head -16 | while read -r f; do cp "$images/$f" "$first/"; done

# tag_run LABEL DIR ARGS...: a fresh run (no captions, a new database); prints images/s, provider, exit.
# Sets last_rc and last_json.
tag_run() {
  local label="$1" dir="$2"
  shift 2
  rm -f "$dir"/*.txt "$work/$label.jsonl"
  rm -rf "$work/db-$label.db"*
  local t0 t1 smi="" util=""
  if [[ "$device" != cpu ]] && command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 200 >"$work/$label.util" 2>/dev/null &
    smi=$!
  fi
  t0=$(date +%s.%N)
  timeout 300 "$bin" tag "$dir" --model-dir "$model" --db "$work/db-$label.db" --json "$@" \
    >"$work/$label.json" 2>"$work/$label.err"
  last_rc=$?
  t1=$(date +%s.%N)
  if [[ -n "$smi" ]]; then
    kill "$smi" 2>/dev/null
    wait "$smi" 2>/dev/null
    util="$(awk '$1 ~ /^[0-9]+$/ {s += $1; n++; if ($1 > m) m = $1} END {if (n) printf "gpu %d%% mean %d%% peak", s / n, m}' "$work/$label.util")"
  fi
  last_json="$work/$label.json"
  local tagged seconds provider
  tagged="$(grep -o '"tagged": [0-9]*' "$last_json" | grep -o '[0-9]*$')"
  seconds="$(grep -o '"seconds": [0-9.e+-]*' "$last_json" | grep -o '[0-9.e+-]*$')"
  provider="$(grep -o '"provider": "[^"]*"' "$last_json" | cut -d'"' -f4)"
  local rate="?"
  [[ -n "$tagged" && -n "$seconds" ]] && rate="$(awk -v t="$tagged" -v s="$seconds" 'BEGIN {printf "%.1f", t / s}')"
  say "$(printf '%-28s exit %3s  tagged %5s  %7ss  %8s images/s  wall %.1fs  %s  %s' "$label" "$last_rc" "${tagged:-?}" \
    "${seconds:-?}" "$rate" "$(echo "$t1 - $t0" | bc 2>/dev/null || echo 0)" "$provider" "$util")"
  if ((last_rc >= 124)); then
    fail "$label: exit $last_rc (crash or timeout); stderr:"
    tail -5 "$work/$label.err" | tee -a "$log"
  elif ((last_rc != 0)); then
    fail "$label: exit $last_rc; stderr:"
    tail -5 "$work/$label.err" | tee -a "$log"
  fi
}

precisions="${PRECISIONS:-fp32}"
if [[ -z "${PRECISIONS:-}" ]] && "$bin" tag --help 2>/dev/null | grep -q fp16; then precisions="fp32 fp16"; fi

section "decode + preprocess alone (CPU, 448 px, 128 of the 1-4 MP JPEGs)"
if [[ -x "$bench_bin" ]]; then
  dsub="$work/images-128"
  rm -rf "$dsub" && mkdir -p "$dsub"
  ls "$images" | grep '\.jpg$' | head -128 | while read -r f; do ln -s "$images/$f" "$dsub/$f"; done
  logged "$bench_bin" --model-dir "$model" --images "$dsub" --decode-only --rounds 1 \
    --decode-threads "1,2,4,8,$((cores > 1 ? cores - 1 : 1))" || fail "tagger_bench --decode-only failed"
else
  say "no $bench_bin: decode throughput not measured (carry build/bin/tagger_bench, see bench/gpu/README.md)"
fi

if [[ " $precisions " == *" fp16 "* ]]; then
  section "fp16 copy: built once, agreement with fp32 checked on 8 images (on the CPU)"
  rm -f "$model/model.fp16.onnx"
  tag_run "fp16-build" "$first" --device "$device" --precision fp16
  grep -h 'fp16' "$work/fp16-build.err" | tee -a "$log"
fi

section "speed: --device $device, $n images (seconds include model load)"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used,power.draw --format=csv -lms 500 >"$out/gpu-util.csv" 2>&1 &
  smi_pid=$!
fi
for p in $precisions; do
  for b in $batches; do
    for t in $threads; do
      tag_run "$device-$p-b$b-t$t" "$images" --device "$device" --precision "$p" --batch-size "$b" --threads "$t"
    done
  done
done
# TF32 off for comparison (fp32 only), and the device's own defaults (no --batch-size / --threads).
tag_run "$device-fp32-notf32-b${batches##* }" "$images" --device "$device" --batch-size "${batches##* }" --no-tf32
tag_run "$device-fp32-defaults" "$images" --device "$device"
[[ " $precisions " == *" fp16 "* ]] && tag_run "$device-fp16-defaults" "$images" --device "$device" --precision fp16
# IO binding with a pinned input buffer (opt-in until measured: docs/gpu.md).
TAGMETRY_IO_BINDING=1 tag_run "$device-fp32-iobinding-defaults" "$images" --device "$device"
[[ " $precisions " == *" fp16 "* ]] && TAGMETRY_IO_BINDING=1 tag_run "$device-fp16-iobinding-defaults" "$images" \
  --device "$device" --precision fp16
[[ -n "${smi_pid:-}" ]] && kill "$smi_pid" 2>/dev/null
[[ -f "$out/gpu-util.csv" ]] && say "GPU utilisation samples: $out/gpu-util.csv (peak $(awk -F', ' 'NR > 1 {print $2}' "$out/gpu-util.csv" | sort -n | tail -1))"
say "stderr of the first run:"
head -20 "$work/$device-fp32-b${batches%% *}-t${threads%% *}.err" 2>/dev/null | tee -a "$log"
grep -h '"device"\|"provider"' "$work/$device-fp32-b"*.json 2>/dev/null | sort | uniq -c | tee -a "$log"

section "agreement with the CPU on the first 16 images"
agree() {  # agree A.jsonl B.jsonl: tag-set F1 per image and the largest probability difference
  python3 - "$1" "$2" <<'PY' 2>&1 | tee -a "$log"
import json, sys
def load(p):
    return {j["path"]: {t["tag"]: t["probability"] for t in j["tags"]} for j in map(json.loads, open(p))}
a, b = load(sys.argv[1]), load(sys.argv[2])
f1s, diff = [], 0.0
for k in sorted(a.keys() & b.keys()):
    x, y = set(a[k]), set(b[k])
    f1s.append(2 * len(x & y) / (len(x) + len(y)) if x or y else 1.0)
    for t in x & y:
        diff = max(diff, abs(a[k][t] - b[k][t]))
print(f"  {len(f1s)} images, tag-set F1 mean {sum(f1s) / max(1, len(f1s)):.4f} min {min(f1s or [0]):.4f}, "
      f"largest probability difference on shared tags {diff:.4f}, tags per image {sum(map(len, a.values())) / max(1, len(a)):.1f}")
PY
}
rm -f "$work"/*.jsonl
tag_run "cpu-reference" "$first" --device cpu --output-jsonl "$work/cpu.jsonl"
for p in $precisions fp32-notf32; do
  extra=(--precision "${p%%-*}")
  [[ "$p" == fp32-notf32 ]] && extra+=(--no-tf32)
  tag_run "$device-$p-first16" "$first" --device "$device" "${extra[@]}" --output-jsonl "$work/$device-$p.jsonl"
  if [[ -s "$work/cpu.jsonl" && -s "$work/$device-$p.jsonl" ]]; then
    say "$device $p against cpu fp32:"
    agree "$work/cpu.jsonl" "$work/$device-$p.jsonl"
  fi
done

section "exit status over $repeat runs each (a crash at exit is 134)"
sub="$work/images-256"
rm -rf "$sub" && mkdir -p "$sub"
ls "$images" | grep '\.jpg$' | head -256 | while read -r f; do ln -s "$images/$f" "$sub/$f"; done
for mode in release keep; do
  codes=()
  for ((i = 1; i <= repeat; i++)); do
    if [[ "$mode" == keep ]]; then
      TAGMETRY_ORT_RELEASE=0 tag_run "exit-$mode-$i" "$sub" --device "$device" --batch-size 32
    else
      tag_run "exit-$mode-$i" "$sub" --device "$device" --batch-size 32
    fi
    codes+=("$last_rc")
  done
  say "ORT environment $mode at exit (TAGMETRY_ORT_RELEASE=$([[ $mode == keep ]] && echo 0 || echo 1)): exit codes ${codes[*]}"
done

section "result"
# $OUT keeps gpu.log and gpu-util.csv only (a device tool may bring back a few files); stderr tails are in the log.
if ((failures)); then
  say "$failures problem(s): see FAIL lines above"
  exit 1
fi
say "all runs exited 0"
