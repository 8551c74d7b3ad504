#pragma once
// Known-answer models and test images, built once per test process (tests/fixtures/*.py).

#include <filesystem>
#include <string>
#include <vector>

namespace tagmetry::testing {

// Folder holding wd/, joytag/, … (make_known_answer_models.py) and known_answer.json.
const std::filesystem::path& known_answer_models();
// Folder holding the images of make_test_images.py.
const std::filesystem::path& test_images();
// Copies the named test images into `dir`.
void copy_images(const std::vector<std::string>& names, const std::filesystem::path& dir);

}  // namespace tagmetry::testing
