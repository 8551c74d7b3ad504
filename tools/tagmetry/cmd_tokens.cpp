// tagmetry tokens: CLIP token count of a text (what SD1.x/SDXL's text encoder sees), with ids and
// kohya's 75-token chunk boundaries in --json.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "tagmetry/caption.h"
#include "tagmetry/strings.h"
#include <filesystem>
#include <iterator>
#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/clip_tokenizer.h"

namespace tagmetry::cli {
namespace {

// The JSON of one text: count, ids, tokens, chunks and what is cut.
nlohmann::json text_json(const ClipTokenizer& tok, const std::string& text, int max_token_length) {
  std::vector<int> ids = tok.encode(text);
  ClipChunking c = clip_chunking(ids.size(), max_token_length);
  nlohmann::json j;
  j["text"] = text;
  j["count"] = ids.size();
  j["max_token_length"] = max_token_length;
  j["kept"] = c.kept;
  j["truncated"] = c.truncated;
  j["ids"] = ids;
  nlohmann::json tokens = nlohmann::json::array();
  for (int id : ids) tokens.push_back(tok.token_text(id));
  j["tokens"] = tokens;
  nlohmann::json chunks = nlohmann::json::array();
  for (size_t start : c.chunk_starts)
    chunks.push_back({{"start", start}, {"end", std::min(start + kClipChunkTokens, c.kept)}});
  j["chunks"] = chunks;
  std::vector<int> cut(ids.begin() + static_cast<long>(c.kept), ids.end());
  j["truncated_text"] = tok.decode(cut);
  return j;
}

// The text to count: "-" reads stdin, an existing file is read as a caption (UTF-8, BOM and CRLF
// tolerated), anything else is the text itself.
Result<std::string> input_text(const std::string& arg) {
  if (arg == "-") {
    std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return parse_caption_text(all).text();
  }
  std::error_code ec;
  if (arg.find('\n') == std::string::npos && std::filesystem::is_regular_file(arg, ec)) {
    TM_ASSIGN_OR_RETURN(CaptionText caption, read_caption(arg));
    return caption.text();
  }
  return arg;
}

RunFunction setup_tokens(CLI::App& sub) {
  auto json = std::make_shared<bool>(false);
  auto bound = std::make_shared<BoundOptions<TokensParams>>(sub, tokens_operation());
  sub.add_flag("--json", *json, "Print ids, tokens and chunk boundaries as JSON");
  return [json, bound]() {
    TokensParams p;
    if (Status s = bound->apply(p); !s.ok()) {
      print_error(s);
      return kExitUsage;
    }
    if (!is_kohya_max_token_length(p.max_token_length)) {
      print_error("--max-token-length must be 75, 150 or 225 (kohya's choices)");
      return kExitUsage;
    }
    auto input = input_text(p.text);
    if (!input.ok()) {
      print_error(input.status());
      return kExitUsage;
    }
    // kohya trains one line of a multi-line caption at a time (enable_wildcard): each is counted.
    std::vector<std::string> lines;
    for (const std::string& line : split(*input, "\n"))
      if (!trim(line).empty()) lines.push_back(std::string(trim(line)));
    if (lines.empty()) lines.push_back(*input);
    auto tok = ClipTokenizer::load_default();
    if (!tok.ok()) {
      print_error(tok.status());
      return exit_code_for(tok.status());
    }
    if (!*json) {
      if (lines.size() == 1) std::printf("%zu\n", tok->count(lines[0]));
      else
        for (size_t i = 0; i < lines.size(); ++i) std::printf("line %zu: %zu\n", i + 1, tok->count(lines[i]));
      return kExitOk;
    }
    nlohmann::json j;
    if (lines.size() == 1) {
      j = text_json(*tok, lines[0], p.max_token_length);
    } else {
      j["lines"] = nlohmann::json::array();
      for (auto& line : lines) j["lines"].push_back(text_json(*tok, line, p.max_token_length));
    }
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return kExitOk;
  };
}

}  // namespace

TAGMETRY_OPERATION_COMMAND(tokens_operation(), 41, setup_tokens);

}  // namespace tagmetry::cli
