// Matches kohya-ss sd-scripts library/train_util.py BaseDataset.process_caption (2026-02) and
// DreamBoothDataset.read_caption. Python string semantics are reproduced where they matter:
// str.strip() (Unicode whitespace), str.split(sep) (keeps empty pieces), slicing, str.replace.
#include <algorithm>
#include <cmath>
#include <limits>

#include "tagmetry/kohya_caption.h"
#include "tagmetry/strings.h"

namespace tagmetry {

namespace {

// Length of the Python-whitespace code point at s[i], or 0.
size_t space_len_at(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) return 1;
  if (c < 0x80) return 0;
  auto starts = [&](std::string_view seq) { return s.substr(i, seq.size()) == seq; };
  if (starts("\xC2\x85") || starts("\xC2\xA0")) return 2;
  if (starts("\xE1\x9A\x80") || starts("\xE2\x80\xA8") || starts("\xE2\x80\xA9") || starts("\xE2\x80\xAF") ||
      starts("\xE2\x81\x9F") || starts("\xE3\x80\x80"))
    return 3;
  if (s.size() >= i + 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80) {
    const auto d = static_cast<unsigned char>(s[i + 2]);
    if (d >= 0x80 && d <= 0x8A) return 3;  // U+2000..U+200A
  }
  return 0;
}

// Python str.split(sep): every occurrence, empty pieces kept.
std::vector<std::string> py_split(std::string_view s, std::string_view sep) { return split(s, sep); }

// [t.strip() for t in s.split(sep) if t.strip()]
std::vector<std::string> split_strip_nonempty(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  for (auto& piece : py_split(s, sep)) {
    std::string_view t = python_strip(piece);
    if (!t.empty()) out.emplace_back(t);
  }
  return out;
}

std::string replace_wildcards(std::string caption, KohyaRandom& rng) {
  // Escape literal braces {{ and }} with markers that cannot occur in the caption.
  std::string open = "\u2985", close = "\u2986";  // ⦅ ⦆
  while (caption.find(open) != std::string::npos || caption.find(close) != std::string::npos) {
    open += "\u2985";
    close += "\u2986";
  }
  caption = replace_all(replace_all(caption, "{{", open), "}}", close);
  // re.sub(r"\{([^}]+)\}", random.choice(options.split("|")), caption)
  std::string out;
  size_t i = 0;
  while (i < caption.size()) {
    if (caption[i] == '{') {
      size_t j = caption.find('}', i + 1);
      if (j != std::string::npos && j > i + 1) {
        auto options = py_split(std::string_view(caption).substr(i + 1, j - i - 1), "|");
        out += options[rng.below(options.size())];
        i = j + 1;
        continue;
      }
    }
    out += caption[i++];
  }
  return replace_all(replace_all(out, open, "{"), close, "}");
}

// Python slice tokens[:n] for any integer n.
void python_truncate(std::vector<std::string>& v, long long n) {
  const auto size = static_cast<long long>(v.size());
  if (n < 0) n = std::max(0LL, size + n);
  if (n < size) v.resize(static_cast<size_t>(n));
}

}  // namespace

std::string_view python_strip(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    size_t n = space_len_at(s, b);
    if (n == 0) break;
    b += n;
  }
  size_t e = s.size();
  while (e > b) {
    // Step back over one code point and test it.
    size_t start = e - 1;
    while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t n = space_len_at(s, start);
    if (n == 0 || start + n != e) break;
    e = start;
  }
  return s.substr(b, e - b);
}

double KohyaRandom::random() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

size_t KohyaRandom::below(size_t n) {
  if (n <= 1) return 0;
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
  uint64_t r;
  do r = engine_();
  while (r >= limit);
  return static_cast<size_t>(r % n);
}

Status KohyaCaptionParams::validate() const {
  if (caption_separator.empty()) return invalid_argument("caption_separator must not be empty");
  if (caption_dropout_rate < 0 || caption_dropout_rate > 1)
    return invalid_argument("caption_dropout_rate must be between 0 and 1");
  if (caption_tag_dropout_rate < 0 || caption_tag_dropout_rate > 1)
    return invalid_argument("caption_tag_dropout_rate must be between 0 and 1");
  if (caption_dropout_every_n_epochs < 0) return invalid_argument("caption_dropout_every_n_epochs must be >= 0");
  if (keep_tokens < 0) return invalid_argument("keep_tokens must be >= 0");
  if (token_warmup_step < 0) return invalid_argument("token_warmup_step must be >= 0");
  return {};
}

std::string kohya_caption_from_file_text(std::string_view text, bool enable_wildcard) {
  // Python readlines() keeps "\n"; strip() removes it with the other whitespace.
  std::vector<std::string> lines = split(text, "\n");
  if (!enable_wildcard) return lines.empty() ? std::string() : std::string(python_strip(lines[0]));
  std::vector<std::string> kept;
  for (auto& l : lines) {
    std::string_view t = python_strip(l);
    if (!t.empty()) kept.emplace_back(t);
  }
  return join(kept, "\n");
}

std::string kohya_process_caption(const KohyaCaptionParams& p, const KohyaTrainingState& state,
                                  std::string_view input, KohyaRandom& rng,
                                  const std::vector<KohyaReplacement>& replacements) {
  std::string caption(input);
  if (!p.caption_prefix.empty()) caption = p.caption_prefix + " " + caption;
  if (!p.caption_suffix.empty()) caption = caption + " " + p.caption_suffix;

  bool drop = p.caption_dropout_rate > 0 && rng.random() < p.caption_dropout_rate;
  drop = drop || (p.caption_dropout_every_n_epochs > 0 && state.epoch % p.caption_dropout_every_n_epochs == 0);
  if (drop) return "";

  if (p.enable_wildcard) {
    if (caption.find('\n') != std::string::npos) {
      auto lines = py_split(caption, "\n");
      caption = lines[rng.below(lines.size())];
    }
    caption = replace_wildcards(std::move(caption), rng);
  } else {
    caption = caption.substr(0, caption.find('\n'));
  }

  if (p.shuffle_caption || p.token_warmup_step > 0 || p.caption_tag_dropout_rate > 0) {
    std::vector<std::string> fixed, flex, fixed_suffix;
    const std::string& kts = p.keep_tokens_separator;
    if (!kts.empty() && caption.find(kts) != std::string::npos) {
      size_t a = caption.find(kts);
      std::string fixed_part = caption.substr(0, a);
      std::string flex_part = caption.substr(a + kts.size());
      if (size_t b = flex_part.find(kts); b != std::string::npos) {
        fixed_suffix = split_strip_nonempty(std::string_view(flex_part).substr(b + kts.size()), p.caption_separator);
        flex_part.resize(b);
      }
      fixed = split_strip_nonempty(fixed_part, p.caption_separator);
      flex = split_strip_nonempty(flex_part, p.caption_separator);
    } else {
      for (auto& t : py_split(python_strip(caption), p.caption_separator)) flex.emplace_back(python_strip(t));
      if (p.keep_tokens > 0) {
        const size_t k = std::min(flex.size(), static_cast<size_t>(p.keep_tokens));
        fixed.assign(flex.begin(), flex.begin() + static_cast<long>(k));
        flex.erase(flex.begin(), flex.begin() + static_cast<long>(k));
      }
    }

    double warmup = p.token_warmup_step;
    if (warmup < 1) warmup = std::floor(warmup * state.max_train_steps);
    if (warmup != 0 && state.step < warmup) {
      const double per_step = (static_cast<double>(flex.size()) - p.token_warmup_min) / warmup;
      const auto len = static_cast<long long>(std::floor(state.step * per_step)) + p.token_warmup_min;
      python_truncate(flex, len);
    }

    if (p.shuffle_caption) rng.shuffle(flex);
    if (p.caption_tag_dropout_rate > 0) {
      std::vector<std::string> kept;
      for (auto& t : flex)
        if (rng.random() >= p.caption_tag_dropout_rate) kept.push_back(std::move(t));
      flex = std::move(kept);
    }
    std::vector<std::string> all = std::move(fixed);
    all.insert(all.end(), flex.begin(), flex.end());
    all.insert(all.end(), fixed_suffix.begin(), fixed_suffix.end());
    caption = join(all, ", ");
  }

  if (!p.secondary_separator.empty()) caption = replace_all(caption, p.secondary_separator, p.caption_separator);

  for (auto& r : replacements) {
    if (r.from.empty()) {
      if (r.to.size() == 1) caption = r.to[0];
      else if (!r.to.empty()) caption = r.to[rng.below(r.to.size())];
    } else if (!r.to.empty()) {
      caption = replace_all(caption, r.from, r.to[0]);
    }
  }
  return caption;
}

const OptionSet<KohyaCaptionParams>& kohya_caption_options() {
  static const OptionSet<KohyaCaptionParams> set = [] {
    using P = KohyaCaptionParams;
    OptionSet<P> s;
    s.group("Caption processing (kohya)");
    s.add("shuffle-caption", &P::shuffle_caption, "Shuffle the tags after the kept ones");
    s.add("keep-tokens", &P::keep_tokens, "Number of leading tags kept in place (ignored with --keep-tokens-separator)");
    s.add("keep-tokens-separator", &P::keep_tokens_separator,
          "Text that splits fixed | shuffled | fixed-suffix parts (kohya uses e.g. '|||')");
    s.add("caption-separator", &P::caption_separator, "Tag separator");
    s.add("secondary-separator", &P::secondary_separator,
          "Separator inside a tag group, replaced by --caption-separator after shuffling");
    s.add("enable-wildcard", &P::enable_wildcard, "Pick one line of multi-line captions and expand {a|b} wildcards");
    s.add("caption-prefix", &P::caption_prefix, "Text put before every caption (with a space)");
    s.add("caption-suffix", &P::caption_suffix, "Text put after every caption (with a space)");
    s.add("caption-dropout-rate", &P::caption_dropout_rate, "Probability that a whole caption is dropped");
    s.add("caption-dropout-every-n-epochs", &P::caption_dropout_every_n_epochs,
          "Drop every caption in epochs divisible by N (0: never)");
    s.add("caption-tag-dropout-rate", &P::caption_tag_dropout_rate, "Probability that each shuffled tag is dropped");
    s.add("token-warmup-min", &P::token_warmup_min, "Tags used at step 0 of the token warmup");
    s.add("token-warmup-step", &P::token_warmup_step,
          "Step at which all tags are used (< 1: fraction of --max-train-steps; 0: no warmup)");
    return s;
  }();
  return set;
}

const Operation<SimulateParams>& simulate_operation() {
  static const Operation<SimulateParams> op{
      {"simulate", "Show what kohya's trainer feeds the text encoder (shuffle, dropout, wildcards, 75-token cut)",
       "POST /api/preview", "simulate.md"},
      [] {
        using P = SimulateParams;
        OptionSet<P> s;
        s.positional("dir", &P::dir, "Dataset folder (captions read as kohya reads them)", false);
        s.add("replace", &P::replace,
              "Textual-inversion replacement FROM=TO; FROM empty: whole caption, TO may be a|b");
        s.group("Input");
        s.add("caption", &P::caption, "Caption text to process (instead of a dataset)");
        s.add("config", &P::config, "kohya dataset_config.toml: simulate every image of its subsets");
        s.add("caption-extension", &P::caption_extension,
              "Caption extension for a DIR without --config (default: .txt, or .caption when only those exist)");
        s.group("Training state");
        s.add("epoch", &P::epoch, "Current epoch (kohya counts from 1 while training)");
        s.add("step", &P::step, "Current global step (token warmup)");
        s.add("max-train-steps", &P::max_train_steps, "Total steps (a fractional --token-warmup-step is relative to it)");
        s.add("max-token-length", &P::max_token_length, "kohya's max_token_length: 75, 150 or 225");
        s.group("Output");
        s.add("samples", &P::samples, "Processed captions per input (seeds seed, seed+1, ...)");
        s.add("seed", &P::seed, "First random seed");
        s.add("truncation-risk", &P::truncation_risk, "Print, per tag, how often it is cut at --max-token-length");
        s.include(kohya_caption_options());
        return s;
      }()};
  return op;
}

Status SimulateParams::validate() const {
  TM_RETURN_IF_ERROR(KohyaCaptionParams::validate());
  if (!is_kohya_max_token_length(max_token_length))
    return invalid_argument("--max-token-length must be 75, 150 or 225");
  if (samples < 1) return invalid_argument("--samples must be at least 1");
  if (caption.empty() == (dir.empty() && config.empty()))
    return invalid_argument("give either --caption TEXT, or a dataset (--config dataset_config.toml or DIR)");
  return {};
}

Result<std::vector<KohyaReplacement>> SimulateParams::replacements() const {
  std::vector<KohyaReplacement> out;
  for (auto& spec : replace) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos) return invalid_argument("--replace '" + spec + "': expected FROM=TO");
    KohyaReplacement r{spec.substr(0, eq), split(spec.substr(eq + 1), "|")};
    if (!r.from.empty()) r.to = {spec.substr(eq + 1)};
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace tagmetry
