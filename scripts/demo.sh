#!/usr/bin/env bash
# `make demo`: tags a small sample folder. Uses the default model from the Hugging Face Hub when it can be
# downloaded (or is already in the cache); otherwise builds the bundled demo model (a tiny known-answer
# colour tagger from tests/fixtures) and says so. Usage: scripts/demo.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-build}"
[[ "$build" = /* ]] || build="$root/$build"
tagmetry="$build/bin/tagmetry"
python=/usr/bin/python3
demo="$root/demo"
mkdir -p "$demo"

echo "== sample images: $demo/images"
rm -rf "$demo/images"
"$python" "$root/scripts/demo_images.py" "$demo/images"

model_args=()
if "$tagmetry" models pull 2>"$demo/pull.log"; then
  echo "== model: the default model from the Hugging Face Hub (cached under \$HF_HOME)"
else
  echo "== the default model could not be downloaded: $(tail -n 1 "$demo/pull.log" | sed 's/^tagmetry: //')"
  echo "== using the BUNDLED DEMO MODEL instead: a tiny known-answer colour tagger built by"
  echo "   tests/fixtures/make_known_answer_models.py (its tags describe colours and test probes,"
  echo "   not image content; run 'tagmetry models pull' where the Hub is reachable for real tags)"
  "$python" "$root/tests/fixtures/make_known_answer_models.py" "$demo/models" >/dev/null
  # Leave out the model's test probes so the captions show what it can see: colour themes.
  model_args=(--model-dir "$demo/models/wd" --undesired-tags
              "red_in_last_channel,white_padding,range_0_255,tag_a,tag_b,tag_c,long_hair,^_^,hatsune_miku_(vocaloid),other_character")
fi

echo "== tagmetry tag $demo/images ${model_args[*]:0:2} … --general-threshold 0.5"
"$tagmetry" tag "$demo/images" "${model_args[@]}" --general-threshold 0.5 --output-jsonl "$demo/tags.jsonl"
echo
for f in "$demo"/images/*.txt; do
  printf '%-12s %s\n' "$(basename "$f")" "$(cat "$f")"
done
echo
echo "Captions are in $demo/images/*.txt; probabilities in $demo/tags.jsonl."
