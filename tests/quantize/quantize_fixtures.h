#pragma once
// Fixture models for the quantize tests, built once per test binary by
// tests/fixtures/make_quantize_models.py (see that script for what each model computes).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "test_support.h"

namespace tagmetry::testing {

inline const std::filesystem::path& quantize_fixtures() {
  static std::unique_ptr<TempDir> dir = [] {
    auto d = std::make_unique<TempDir>();
    run_python_fixture("make_quantize_models.py", {d->path().string()});
    return d;
  }();
  return dir->path();
}

inline std::vector<float> read_floats(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<float> v(std::filesystem::file_size(path) / sizeof(float));
  f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
  return v;
}

}  // namespace tagmetry::testing
