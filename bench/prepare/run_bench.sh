#!/usr/bin/env bash
# prepare benchmark: Pillow single-process baseline vs `tagmetry prepare` on the same generated JPEGs.
#   [ROUNDS=3] [COMPARE=OTHER_TAGMETRY] bench/prepare/run_bench.sh [TAGMETRY_BINARY] [N_IMAGES] [THREADS]
# Prints wall and CPU seconds of both, the speed-up, output sizes and the PSNR of our outputs against
# Pillow's (the acceptance bar is >= 45 dB; the port is byte-exact, so "identical" is expected).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-$here/../../build/bin/tagmetry}"
n="${2:-40}"
threads="${3:-2}"
py=/usr/bin/python3
work="${TMPDIR:-/tmp}/tagmetry-bench-prepare"
mkdir -p "$work"
if [ ! -f "$work/in-$n/.done" ]; then
  rm -rf "$work/in-$n"
  "$py" "$here/make_inputs.py" "$work/in-$n" "$n"
  touch "$work/in-$n/.done"
fi
in="$work/in-$n"
mp=$("$py" -c "
import glob; from PIL import Image
s=[Image.open(f).size for f in glob.glob('$in/*.jpg')]; print('%.2f' % (sum(w*h for w,h in s)/len(s)/1e6))")
echo "inputs: $n JPEGs, mean $mp MP ($in)"
cat "$in"/*.jpg > /dev/null  # warm the page cache for both runs

# ROUNDS=N runs Pillow and tagmetry N times, interleaved (figures per round: on a shared machine take the
# fastest); COMPARE=OTHER_BINARY adds a second tagmetry build to each round (e.g. before/after a change).
TIMEFORMAT='%R %U %S'
for round in $(seq "${ROUNDS:-1}"); do
  rm -rf "$work/pillow" "$work/ours" "$work/other"
  t_pil=$( { time "$py" "$here/pillow_prepare.py" "$in" "$work/pillow" 512 > /dev/null; } 2>&1 )
  t_our=$( { time "$bin" prepare "$in" "$work/ours" --size 512 --threads "$threads" > /dev/null; } 2>&1 )
  read -r pw pu ps <<< "$t_pil"
  read -r ow ou os <<< "$t_our"
  [ "${ROUNDS:-1}" -gt 1 ] && echo "round $round (load average $(cut -d' ' -f1 /proc/loadavg)):"
  echo "pillow (1 process):      wall ${pw}s  cpu $(echo "$pu + $ps" | bc)s  output $(du -sk "$work/pillow" | cut -f1) KiB"
  echo "tagmetry ($threads threads):     wall ${ow}s  cpu $(echo "$ou + $os" | bc)s  output $(du -sk "$work/ours" | cut -f1) KiB"
  if [ -n "${COMPARE:-}" ]; then
    t_oth=$( { time "$COMPARE" prepare "$in" "$work/other" --size 512 --threads "$threads" > /dev/null; } 2>&1 )
    read -r xw xu xs <<< "$t_oth"
    echo "compared ($threads threads):     wall ${xw}s  cpu $(echo "$xu + $xs" | bc)s  output $(du -sk "$work/other" | cut -f1) KiB  ($COMPARE)"
  fi
  echo "speed-up (wall):         $(echo "scale=2; $pw / $ow" | bc)x"
  echo "speed-up (cpu):          $(echo "scale=2; ($pu + $ps) / ($ou + $os)" | bc)x"
done
"$py" - "$work/pillow" "$work/ours" <<'PY'
import math, os, sys
from PIL import Image
a_dir, b_dir = sys.argv[1], sys.argv[2]
worst, exact, names = float("inf"), 0, sorted(n for n in os.listdir(a_dir) if n.endswith(".png"))
for n in names:
    a = Image.open(os.path.join(a_dir, n)).convert("RGB").tobytes()
    b = Image.open(os.path.join(b_dir, n)).convert("RGB").tobytes()
    se = sum((x - y) ** 2 for x, y in zip(a, b)) if a != b else 0
    exact += se == 0
    worst = min(worst, float("inf") if se == 0 else 10 * math.log10(255 * 255 * len(a) / se))
print("PSNR vs Pillow:          %d of %d identical, worst %s" % (exact, len(names), "inf" if worst == float("inf") else "%.2f dB" % worst))
PY
