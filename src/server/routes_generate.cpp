// POST /api/prompt: a request or tags → a prompt in a model's style (tagmetry/prompt.h), over the server's
// own tag database and ja2tags. Only style names and the prompt options are accepted: no file paths
// (caption files, style files, tag lists) come from the browser.
#include <algorithm>

#include "http_util.h"
#include "server_state.h"
#include "tagmetry/prompt.h"
#include "tagmetry/strings.h"
#include "tagmetry/tag_database.h"

namespace tagmetry::server {

void register_generate_routes(State& s) {
  s.http.Post("/api/prompt", [&s](const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.ok()) return send_status(res, body.status());
    if (!body->contains("text") || !(*body)["text"].is_string())
      return send_error(res, 400, "bad_request", "body.text (a request or tags) is required");
    const std::string text = (*body)["text"].get<std::string>();
    PromptParams p;
    static const std::vector<std::string> allowed = {"style", "input",  "trigger", "rating",    "negative", "top",
                                                     "size",  "aspect", "sampler", "scheduler", "steps",    "cfg"};
    json options = json::object();
    for (auto& [key, value] : body->items()) {
      if (key == "text" || key == "loras") continue;
      std::string name = key;
      std::replace(name.begin(), name.end(), '_', '-');
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
        return send_error(res, 400, "bad_request", "body." + key + ": not a prompt option");
      options[key] = value;
    }
    Status st = apply_json_options(prompt_options(), p, options, "body");
    if (!st.ok()) return send_status(res, st);
    if (body->contains("loras")) {
      const json& loras = (*body)["loras"];
      if (!loras.is_array()) return send_error(res, 400, "bad_request", "body.loras must be a list of NAME[:WEIGHT]");
      for (auto& l : loras) {
        if (!l.is_string()) return send_error(res, 400, "bad_request", "body.loras must be a list of NAME[:WEIGHT]");
        p.loras.push_back(l.get<std::string>());
      }
    }
    auto& names = prompt_style_names();
    if (std::find(names.begin(), names.end(), p.style) == names.end())
      return send_status(res,
                         invalid_argument("body.style: '" + p.style + "' is not a style (" + join(names, ", ") + ")"));
    if (p.input == "caption")
      return send_error(res, 400, "bad_request", "body.input: caption files are read by the CLI only");
    if (p.input == "auto") {  // never a file on the server's disk
      bool ascii = std::all_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x80; });
      p.input = ascii && text.find(',') != std::string::npos ? "tags" : "request";
    }
    const TagDatabase* db = s.tag_database();
    if (!db) return send_status(res, s.vocab.tags_status);
    auto builder = PromptBuilder::borrow(*db, [&s]() -> Result<const JaToTags*> {
      const JaToTags* ja = s.ja_to_tags();
      if (!ja) return s.vocab.ja2tags_status;
      return ja;
    });
    auto r = builder->build(p, text);
    if (!r.ok()) return send_status(res, r.status());
    res.set_content(r->to_json(), "application/json");
  });
}

}  // namespace tagmetry::server
