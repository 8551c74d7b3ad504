#pragma once
// The generator back ends behind tagmetry::Generator, and helpers they share. Private to src/generate.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "http_client.h"
#include "tagmetry/generate.h"

namespace tagmetry::gen {

std::unique_ptr<Generator> make_a1111_generator(HttpOptions options);
std::unique_ptr<Generator> make_comfyui_generator(HttpOptions options);
std::unique_ptr<Generator> make_runpod_generator(HttpOptions options);

Result<std::string> base64_decode(std::string_view text);

// Parses a JSON body; a body that is not JSON is an error naming the URL and quoting its start.
Result<nlohmann::json> parse_json_body(const HttpResponse& r, const std::string& url);

// The ComfyUI API-format graph of a job: the built-in SDXL text-to-image graph (CheckpointLoaderSimple,
// a LoraLoader per LoRA, two CLIPTextEncode, EmptyLatentImage, KSampler, VAEDecode, SaveImage), or the
// job's workflow with its {{placeholders}} filled. `seed` must be >= 0.
Result<nlohmann::json> comfy_graph(const GenerationJob& job, int64_t seed);

// A1111 sampler / scheduler names → ComfyUI's ("Euler a" → euler_ancestral, "Karras" → karras).
std::string comfy_sampler(std::string_view a1111);
std::string comfy_scheduler(std::string_view a1111);

// ComfyUI's KSampler draws the noise of a whole latent batch from one seed (comfy/sample.py prepare_noise:
// torch.manual_seed(seed), then one randn over the batch), so image k of a batch is not reproduced by
// seed + k but by the same seed and batch size. Marks `images` (in SaveImage's order, the batch order) with
// their batch size and position when the batch held more than one latent.
void mark_batch(std::vector<GeneratedImage>& images, int batch_size);

// A seed in [0, 2^32 - 2] for back ends that need one chosen by the client.
int64_t random_seed();

}  // namespace tagmetry::gen
