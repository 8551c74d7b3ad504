#pragma once
// A minimal WebSocket client (RFC 6455) for ComfyUI's /ws progress messages: plain ws:// only, reads text
// messages (binary preview frames are skipped, pings answered), never sends data. Private to src/generate.

#include <memory>
#include <optional>
#include <string>

#include "tagmetry/status.h"

namespace tagmetry::gen {

class WebSocket {
 public:
  ~WebSocket();
  // Connects to `http_base_url` ("http://127.0.0.1:8188") and upgrades `path` ("/ws?clientId=…").
  // https URLs are unsupported (an error; callers fall back to polling).
  static Result<std::unique_ptr<WebSocket>> connect(const std::string& http_base_url, const std::string& path,
                                                    int timeout_s);
  // The next text message, or nullopt when none arrived within `timeout_ms`. An error when the connection
  // closed or broke.
  Result<std::optional<std::string>> read_text(int timeout_ms);

 private:
  explicit WebSocket(int fd) : fd_(fd) {}
  Result<bool> fill(int timeout_ms);  // reads more bytes into buffer_; false on timeout
  Status send_frame(int opcode, const std::string& payload);
  int fd_ = -1;
  std::string buffer_;
  std::string fragments_;
};

}  // namespace tagmetry::gen
