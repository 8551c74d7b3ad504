#pragma once
// TIPO / DanTagGen completion on llama.cpp with the model's own vocabulary (private to src/llm; the
// public entry is complete_tags in complete.h).

#include <filesystem>
#include <string>

#include "tagmetry/complete.h"
#include "tagmetry/status.h"

namespace tagmetry {

class TagDatabase;

struct KgenRequest {
  std::string family;            // "tipo" or "dantaggen"
  std::filesystem::path gguf;    // the published GGUF (with its vocabulary)
  double aspect = 1.0;           // width / height
  CompletionSampling sampling;
  const TagDatabase* db = nullptr;  // categories and the known-tag check; may be null
};

// Builds KGen's prompt for r.input, samples passes until the list reaches the length's target (KGen's
// retry: TIPO at most 10 more passes, DanTagGen 20; stops early on repeated answers) and fills r (added,
// tags, dropped, prompt of the first pass, seed, tokens, passes, times). Errors name the GGUF.
Status complete_with_kgen(const KgenRequest& req, const CompleteParams& p, CompleteReport& r);

}  // namespace tagmetry
