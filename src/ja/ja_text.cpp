// ICU normalisation and MeCab segmentation for Japanese requests.
#include "tagmetry/ja_text.h"

#include <mecab.h>
#include <unicode/normalizer2.h>
#include <unicode/bytestream.h>
#include <unicode/unistr.h>

#include <cstdlib>
#include <mutex>

#include "tagmetry/strings.h"

namespace tagmetry {
namespace fs = std::filesystem;

Result<std::string> normalize_ja_text(std::string_view text) {
  size_t bad = find_invalid_utf8(text);
  if (bad != std::string_view::npos) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "not valid UTF-8 (byte 0x%02x at offset %zu)",
                  static_cast<unsigned char>(text[bad]), bad);
    return invalid_argument(buf);
  }
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(err);
  if (U_FAILURE(err)) return internal_error(std::string("ICU NFKC_Casefold unavailable: ") + u_errorName(err));
  icu::StringPiece piece(text.data(), static_cast<int32_t>(text.size()));
  if (nfkc_cf->isNormalizedUTF8(piece, err) && U_SUCCESS(err)) return std::string(text);  // fast path
  err = U_ZERO_ERROR;
  std::string result;
  icu::StringByteSink<std::string> sink(&result, static_cast<int32_t>(text.size()));
  nfkc_cf->normalizeUTF8(0, piece, sink, nullptr, err);
  if (U_FAILURE(err)) return internal_error(std::string("ICU normalisation failed: ") + u_errorName(err));
  return result;
}

std::vector<fs::path> mecab_dictionary_candidates() {
  std::vector<fs::path> c;
  if (const char* env = std::getenv("TAGMETRY_MECAB_DICDIR"); env && *env) c.emplace_back(env);
  for (const char* p : {"/var/lib/mecab/dic/ipadic-utf8", "/usr/lib/x86_64-linux-gnu/mecab/dic/ipadic-utf8",
                        "/usr/lib/aarch64-linux-gnu/mecab/dic/ipadic-utf8", "/usr/lib/mecab/dic/ipadic-utf8",
                        "/usr/lib/mecab/dic/ipadic", "/usr/local/lib/mecab/dic/ipadic",
                        "/opt/homebrew/lib/mecab/dic/ipadic", "/usr/share/mecab/dic/ipadic"}) {
    c.emplace_back(p);
  }
  return c;
}

struct JaSegmenter::Impl {
  MeCab::Model* model = nullptr;
  MeCab::Tagger* tagger = nullptr;
  ~Impl() {
    delete tagger;
    delete model;
  }
};

JaSegmenter::~JaSegmenter() = default;

Result<std::unique_ptr<JaSegmenter>> JaSegmenter::open(const fs::path& dicdir) {
  std::vector<fs::path> candidates = dicdir.empty() ? mecab_dictionary_candidates() : std::vector<fs::path>{dicdir};
  fs::path found;
  std::error_code ec;
  for (auto& c : candidates) {
    if (fs::is_regular_file(c / "sys.dic", ec) && fs::is_regular_file(c / "dicrc", ec)) {
      found = c;
      break;
    }
  }
  if (found.empty()) {
    std::vector<std::string> names;
    for (auto& c : candidates) names.push_back(c.string());
    return not_found("MeCab IPAdic dictionary not found (looked in " + join(names, ", ") +
                     "): apt-get install mecab-ipadic-utf8, or set TAGMETRY_MECAB_DICDIR / --mecab-dicdir to a "
                     "folder holding sys.dic and dicrc");
  }
  // "-r /dev/null": do not depend on a system mecabrc; the dictionary's own dicrc is enough.
  std::string arg = "-r /dev/null -d " + found.string();
  auto impl = std::make_unique<Impl>();
  impl->model = MeCab::createModel(arg.c_str());
  if (!impl->model) {
    return corrupt(found.string() + ": MeCab cannot open this dictionary (" + MeCab::getLastError() + ")");
  }
  impl->tagger = impl->model->createTagger();
  if (!impl->tagger) return corrupt(found.string() + ": MeCab tagger creation failed");
  std::unique_ptr<JaSegmenter> seg(new JaSegmenter());
  seg->impl_ = std::move(impl);
  seg->dicdir_ = found;
  return seg;
}

Result<std::vector<JaToken>> JaSegmenter::segment(std::string_view text) const {
  std::vector<JaToken> tokens;
  if (text.empty()) return tokens;
  MeCab::Lattice* lattice = impl_->model->createLattice();
  if (!lattice) return internal_error("MeCab lattice creation failed");
  std::string input(text);
  lattice->set_sentence(input.c_str());
  if (!impl_->tagger->parse(lattice)) {
    std::string why = lattice->what() ? lattice->what() : "unknown error";
    delete lattice;
    return internal_error("MeCab failed: " + why);
  }
  for (const MeCab::Node* n = lattice->bos_node(); n; n = n->next) {
    if (n->stat == MECAB_BOS_NODE || n->stat == MECAB_EOS_NODE || n->length == 0) continue;
    JaToken t;
    t.surface.assign(n->surface, n->length);
    std::vector<std::string> f = split(n->feature ? n->feature : "", ",");
    t.pos = f.size() > 0 ? f[0] : "";
    t.pos1 = f.size() > 1 ? f[1] : "";
    t.base = f.size() > 6 && f[6] != "*" ? f[6] : t.surface;
    t.known = n->stat != MECAB_UNK_NODE;
    tokens.push_back(std::move(t));
  }
  delete lattice;
  return tokens;
}

}  // namespace tagmetry
