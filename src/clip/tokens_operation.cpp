// The declaration of `tagmetry tokens` (tools/tagmetry/cmd_tokens.cpp does the printing).
#include "tagmetry/clip_tokenizer.h"

namespace tagmetry {

const Operation<TokensParams>& tokens_operation() {
  static const Operation<TokensParams> op{
      {"tokens", "Count CLIP tokens of a caption (SD1.x/SDXL text encoder) and show 75-token chunks", "", "tokens.md"},
      [] {
        OptionSet<TokensParams> s;
        s.positional("text", &TokensParams::text, "Text to tokenize (a caption), a caption FILE, or - for stdin");
        s.add("max-token-length", &TokensParams::max_token_length,
              "kohya's max_token_length: 75, 150 or 225 tokens (chunks of 75); tokens beyond are cut");
        return s;
      }()};
  return op;
}

}  // namespace tagmetry
