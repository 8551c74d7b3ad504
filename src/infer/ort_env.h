#pragma once
// The process's one Ort::Env (internal to src/infer) and what ORT logs about where it placed a model's nodes.
#include <onnxruntime_cxx_api.h>

#include <string>
#include <vector>

namespace tagmetry::ort {

// Created on first use. Sessions register while they live so that shutdown_inference() (infer.h) can
// release the environment before exit, while the provider libraries and the CUDA runtime still work.
Ort::Env& env();
void session_opened();
void session_closed();

// While one of these lives, ORT's node-placement log lines from sessions created on this thread are kept.
class PlacementLog {
 public:
  PlacementLog();
  ~PlacementLog();
  PlacementLog(const PlacementLog&) = delete;
  PlacementLog& operator=(const PlacementLog&) = delete;
  // (provider, node count) in the order ORT logged them, e.g. {"CUDAExecutionProvider", 360}, {"CPU…", 7}.
  std::vector<std::pair<std::string, long>> placements() const;

  std::vector<std::string> lines;
};

}  // namespace tagmetry::ort
