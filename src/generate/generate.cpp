// tagmetry generate: prompt → generator server → OUT/NNNNN-SEED.png (+ infotext) and .txt.
#include "tagmetry/generate.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>

#include "backends.h"
#include "tagmetry/files.h"
#include "tagmetry/png_text.h"
#include "tagmetry/strings.h"

namespace tagmetry {

const Operation<GenerateParams>& generate_operation() {
  static const Operation<GenerateParams> op{
      {"generate", "Generate images through AUTOMATIC1111 / Forge, ComfyUI or RunPod (PNG with parameters)", "",
       "generate.md"},
      [] {
    OptionSet<GenerateParams> s;
    s.group("Generator")
        .add("backend", &GenerateParams::backend, "Generator server kind", {"a1111", "comfyui", "runpod"})
        .add("url", &GenerateParams::url,
             "Server URL (A1111 http://127.0.0.1:7860, ComfyUI http://127.0.0.1:8188, RunPod "
             "https://api.runpod.ai/v2/ENDPOINT)",
             {}, "TAGMETRY_GENERATOR_URL")
        .add("user", &GenerateParams::user, "NAME:PASS for HTTP basic auth (the pair A1111 was started with in api-auth)", {},
             "TAGMETRY_GENERATOR_AUTH")
        .add("checkpoint", &GenerateParams::checkpoint, "Checkpoint (A1111 title or name; ComfyUI file name)")
        .add("workflow", &GenerateParams::workflow, "ComfyUI / RunPod: API-format workflow file with {{placeholders}}")
        .add("check", &GenerateParams::check,
             "List what the server offers and check the checkpoint and LoRAs; generate nothing")
        .add("connect-timeout", &GenerateParams::connect_timeout, "Seconds to wait for a connection")
        .add("timeout", &GenerateParams::timeout, "Seconds to wait for one batch");
    s.group("Images")
        .add("out", &GenerateParams::out, "Output folder (NNNNN-SEED.png with A1111 parameters, NNNNN-SEED.txt)")
        .add("count", &GenerateParams::count, "Number of batches")
        .add("batch-size", &GenerateParams::batch_size, "Images per batch")
        .add("seed", &GenerateParams::seed, "First seed (-1 or empty: random); batch i uses seed + i x batch size");
    add_prompt_options(s);
    s.group("Output")
        .add("json", &GenerateParams::json,
             "Print one JSON object: prompt, images (file, caption, seed), interrupted, errors")
        .add("no-progress", &GenerateParams::no_progress, "Do not show progress on stderr (shown only on a terminal)");
    return s;
  }()};
  return op;
}

const OptionSet<GenerateParams>& generate_options() { return generate_operation().options; }

Result<std::unique_ptr<Generator>> open_generator(const GenerateParams& p) {
  if (p.url.empty()) return invalid_argument("--url is required (the generator server, e.g. http://127.0.0.1:7860)");
  if (p.url.rfind("http://", 0) != 0 && p.url.rfind("https://", 0) != 0)
    return invalid_argument("--url '" + p.url + "': expected http://HOST:PORT or https://…");
  gen::HttpOptions o;
  o.base_url = p.url;
  o.connect_timeout_s = std::max(1, p.connect_timeout);
  o.timeout_s = std::max(0, p.timeout);
  if (p.backend == "a1111") {
    o.basic_auth = gen::generator_auth(p.user);
    return gen::make_a1111_generator(std::move(o));
  }
  if (p.backend == "comfyui") return gen::make_comfyui_generator(std::move(o));
  if (p.backend == "runpod") {
    const char* key = std::getenv("RUNPOD_API_KEY");
    if (!key || !*key) return invalid_argument("--backend runpod needs the API key in RUNPOD_API_KEY");
    o.bearer = key;
    return gen::make_runpod_generator(std::move(o));
  }
  return invalid_argument("--backend '" + p.backend + "': expected a1111, comfyui or runpod");
}

namespace {

// The next free NNNNN in `dir` (A1111's numbering: one more than the largest 5-digit prefix present).
int next_index(const std::filesystem::path& dir) {
  int best = 0;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (n.size() < 6 || n[5] != '-') continue;
    int v = 0;
    auto [p, err] = std::from_chars(n.data(), n.data() + 5, v);
    if (err == std::errc() && p == n.data() + 5) best = std::max(best, v);
  }
  return best + 1;
}

std::string five(int v) {
  std::string s = std::to_string(v);
  return std::string(s.size() < 5 ? 5 - s.size() : 0, '0') + s;
}

}  // namespace

Result<SavedImage> save_generated_image(const std::filesystem::path& out_dir, const GeneratedImage& image,
                                        const PromptResult& prompt, FileSync sync) {
  Infotext info;
  info.prompt = prompt.positive;
  info.negative = prompt.negative;
  info.steps = prompt.steps;
  info.sampler = prompt.sampler;
  info.scheduler = prompt.scheduler;
  info.cfg = prompt.cfg;
  info.seed = image.seed;
  info.width = prompt.size.width;
  info.height = prompt.size.height;
  info.model_hash = image.model_hash;
  info.model = image.model;
  info.lora_hashes = image.lora_hashes;
  if (image.batch_size > 1) {  // the seed alone does not reproduce this image: say where it sat in its batch
    info.extra.emplace_back("Batch size", std::to_string(image.batch_size));
    info.extra.emplace_back("Batch pos", std::to_string(image.batch_pos));
  }
  auto png = set_png_text(image.png, "parameters", format_infotext(info));
  if (!png.ok()) return png.status().with_context("image of seed " + std::to_string(image.seed) + " from the server");
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return io_error(out_dir.string() + ": cannot create the folder (" + ec.message() + ")");
  int index = next_index(out_dir);
  SavedImage s;
  s.seed = image.seed;
  s.batch_size = image.batch_size;
  s.batch_pos = image.batch_pos;
  for (;; ++index) {  // never overwrite
    std::string stem = five(index) + "-" + std::to_string(image.seed);
    s.png = out_dir / (stem + ".png");
    s.caption = out_dir / (stem + ".txt");
    if (!std::filesystem::exists(s.png, ec) && !std::filesystem::exists(s.caption, ec)) break;
  }
  TM_RETURN_IF_ERROR(write_file_atomic(s.caption, prompt.caption() + "\n", sync));
  TM_RETURN_IF_ERROR(write_file_atomic(s.png, *png, sync));
  return s;
}

std::string GenerateReport::to_json() const {
  nlohmann::ordered_json j;
  j["prompt"] = nlohmann::ordered_json::parse(prompt.to_json());
  j["images"] = nlohmann::ordered_json::array();
  for (auto& i : images) {
    nlohmann::ordered_json image{{"file", i.png.string()}, {"caption", i.caption.string()}, {"seed", i.seed}};
    if (i.batch_size > 1) {
      image["batch_size"] = i.batch_size;
      image["batch_pos"] = i.batch_pos;
    }
    j["images"].push_back(image);
  }
  j["interrupted"] = interrupted;
  j["errors"] = errors;
  return j.dump();
}

Result<GenerateReport> run_generate(const GenerateParams& p, const PromptBuilder& builder, std::string_view input,
                                    const GeneratorProgressFn& progress, const std::atomic<bool>& cancel,
                                    Generator* generator) {
  if (p.count < 1 || p.batch_size < 1) return invalid_argument("--count and --batch-size must be at least 1");
  int64_t seed = -1;
  if (!trim(p.seed).empty()) {
    std::string t(trim(p.seed));
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), seed);
    if (ec != std::errc() || ptr != t.data() + t.size() || seed < -1)
      return invalid_argument("--seed '" + p.seed + "': expected a whole number (-1: random)");
  }
  std::string workflow;
  if (!p.workflow.empty()) {
    if (p.backend == "a1111") return invalid_argument("--workflow is for --backend comfyui or runpod");
    TM_ASSIGN_OR_RETURN(workflow, read_text_file(p.workflow));
  }
  GenerateReport report;
  TM_ASSIGN_OR_RETURN(report.prompt, builder.build(p, input));
  std::unique_ptr<Generator> owned;
  if (!generator) {
    TM_ASSIGN_OR_RETURN(owned, open_generator(p));
    generator = owned.get();
  }
  GenerationJob job;
  job.prompt = report.prompt;
  job.batch_size = p.batch_size;
  job.checkpoint = p.checkpoint;
  job.workflow = workflow;
  for (int i = 0; i < p.count && !cancel.load(); ++i) {
    job.seed = seed >= 0 ? seed + static_cast<int64_t>(i) * p.batch_size : -1;
    auto images = generator->generate(job, progress, cancel);
    if (!images.ok()) {
      if (images.status().code() == ErrorCode::kCancelled) break;
      // The first batch failing (server down, refused, broken): the next ones would too; stop with its error.
      if (report.images.empty() && report.errors.empty()) return images.status();
      report.errors.push_back("batch " + std::to_string(i + 1) + ": " + images.status().message());
      continue;
    }
    for (auto& image : *images) {
      auto saved = save_generated_image(p.out, image, report.prompt);
      if (!saved.ok())
        report.errors.push_back(saved.status().message());
      else
        report.images.push_back(*saved);
    }
  }
  report.interrupted = cancel.load();
  return report;
}

std::vector<std::string> closest_names(const std::string& wanted, const std::vector<std::string>& names, size_t n) {
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t prev = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        size_t cur = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
        prev = cur;
      }
    }
    return row[b.size()];
  };
  std::vector<std::pair<size_t, std::string>> scored;
  std::string w = to_lower_ascii(wanted);
  for (auto& name : names) scored.emplace_back(distance(w, to_lower_ascii(name)), name);
  std::stable_sort(scored.begin(), scored.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < n; ++i) out.push_back(scored[i].second);
  return out;
}

namespace {

// True when `wanted` names `offered`: the same text, or the same file name without extension or A1111's
// " [hash]" title suffix.
bool same_model(const std::string& wanted, const std::string& offered) {
  auto strip = [](std::string s) {
    s = to_lower_ascii(s);
    if (auto b = s.find(" ["); b != std::string::npos) s = s.substr(0, b);
    if (auto slash = s.find_last_of("/\\"); slash != std::string::npos) s = s.substr(slash + 1);
    for (const char* ext : {".safetensors", ".ckpt", ".pt"})
      if (s.ends_with(ext)) s = s.substr(0, s.size() - std::string_view(ext).size());
    return s;
  };
  return to_lower_ascii(wanted) == to_lower_ascii(offered) || strip(wanted) == strip(offered);
}

}  // namespace

std::string CheckReport::to_json() const {
  nlohmann::ordered_json j;
  j["checkpoints"] = inventory.checkpoints;
  j["loras"] = inventory.loras;
  j["samplers"] = inventory.samplers;
  j["schedulers"] = inventory.schedulers;
  j["problems"] = problems;
  return j.dump();
}

Result<CheckReport> check_generator(const GenerateParams& p, Generator& generator) {
  CheckReport report;
  TM_ASSIGN_OR_RETURN(report.inventory, generator.inventory());
  const ServerInventory& inv = report.inventory;
  auto check = [&](const std::string& what, const std::string& wanted, const std::vector<std::string>& offered) {
    if (wanted.empty() || offered.empty()) return;
    for (auto& o : offered)
      if (same_model(wanted, o)) return;
    report.problems.push_back("unknown " + what + " '" + wanted +
                              "' (closest: " + join(closest_names(wanted, offered), ", ") + ")");
  };
  check("checkpoint", p.checkpoint, inv.checkpoints);
  for (auto& l : p.loras) {
    auto lora = parse_lora(l);
    if (!lora.ok()) {
      report.problems.push_back(lora.status().message());
      continue;
    }
    check("LoRA", lora->name, inv.loras);
  }
  if (p.backend == "a1111") {
    check("sampler", p.sampler, inv.samplers);
    check("scheduler", p.scheduler, inv.schedulers);
  }
  return report;
}

namespace gen {

Result<std::string> base64_decode(std::string_view text) {
  if (auto comma = text.find(','); text.rfind("data:", 0) == 0 && comma != std::string_view::npos)
    text = text.substr(comma + 1);  // data:image/png;base64,…
  static const auto table = [] {
    std::array<int8_t, 256> t;
    t.fill(-1);
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(a[i])] = static_cast<int8_t>(i);
    return t;
  }();
  std::string out(text.size() / 4 * 3 + 3, '\0');
  char* o = out.data();
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : text) {
    int v = table[c];
    if (v < 0) {
      if (c == '=' || c == '\n' || c == '\r') continue;
      return corrupt("image is not valid base64 text");
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *o++ = static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  out.resize(static_cast<size_t>(o - out.data()));
  return out;
}

Result<nlohmann::json> parse_json_body(const HttpResponse& r, const std::string& url) {
  try {
    return nlohmann::json::parse(r.body);
  } catch (const std::exception&) {
    std::string start = r.body.substr(0, 80);
    for (auto& c : start)
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    return corrupt(url + ": the server answered something that is not JSON (HTTP " + std::to_string(r.status) + ", '" +
                   start + "'); is this the right URL and --backend?");
  }
}

void mark_batch(std::vector<GeneratedImage>& images, int batch_size) {
  const int n = std::max(batch_size, static_cast<int>(images.size()));
  if (n < 2) return;
  for (size_t i = 0; i < images.size(); ++i) {
    images[i].batch_size = n;
    images[i].batch_pos = static_cast<int>(i);
  }
}

int64_t random_seed() {
  static std::mt19937_64 rng{std::random_device{}()};
  return static_cast<int64_t>(rng() % 4294967294ULL);
}

}  // namespace gen
}  // namespace tagmetry
