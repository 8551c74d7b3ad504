#include "websocket.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace tagmetry::gen {

WebSocket::~WebSocket() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<WebSocket>> WebSocket::connect(const std::string& base, const std::string& path, int timeout_s) {
  if (base.rfind("http://", 0) != 0) return unsupported("web socket: only http:// URLs");
  std::string hostport = base.substr(7);
  if (auto slash = hostport.find('/'); slash != std::string::npos) hostport = hostport.substr(0, slash);
  std::string host = hostport, port = "80";
  if (auto colon = hostport.rfind(':'); colon != std::string::npos && hostport.find(']') == std::string::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res)
    return network_error(base + ": cannot resolve " + host);
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    timeval tv{timeout_s, 0};  // bounds connect() and send() (Linux applies SO_SNDTIMEO to connect)
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  int rc = fd < 0 ? -1 : ::connect(fd, res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  if (rc != 0) {
    if (fd >= 0) ::close(fd);
    return network_error(base + ": web socket connection failed (" + std::strerror(errno) + ")");
  }
  std::unique_ptr<WebSocket> ws(new WebSocket(fd));
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + hostport +
                        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGFnbWV0cnkgd2Vic29ja2V0"
                        "\r\nSec-WebSocket-Version: 13\r\nUser-Agent: tagmetry\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
    return network_error(base + path + ": web socket handshake failed");
  while (ws->buffer_.find("\r\n\r\n") == std::string::npos) {
    TM_ASSIGN_OR_RETURN(bool got, ws->fill(timeout_s * 1000));
    if (!got) return network_error(base + path + ": no web socket handshake answer");
  }
  auto end = ws->buffer_.find("\r\n\r\n");
  std::string head = ws->buffer_.substr(0, end);
  ws->buffer_.erase(0, end + 4);
  if (head.rfind("HTTP/1.1 101", 0) != 0)
    return network_error(base + path + ": the server did not switch to a web socket (" +
                         head.substr(0, head.find('\r')) + ")");
  return ws;
}

Result<bool> WebSocket::fill(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  int n = ::poll(&p, 1, timeout_ms);
  if (n < 0) return network_error(std::string("web socket: ") + std::strerror(errno));
  if (n == 0) return false;
  char buf[16384];
  ssize_t got = ::recv(fd_, buf, sizeof buf, 0);
  if (got <= 0) return network_error("web socket closed by the server");
  buffer_.append(buf, static_cast<size_t>(got));
  return true;
}

Status WebSocket::send_frame(int opcode, const std::string& payload) {
  // Client frames are masked (RFC 6455 5.3); only short control frames are sent.
  std::string f;
  f += static_cast<char>(0x80 | opcode);
  f += static_cast<char>(0x80 | (payload.size() & 0x7F));
  static std::mt19937 rng{std::random_device{}()};
  char mask[4];
  for (auto& m : mask) m = static_cast<char>(rng());
  f.append(mask, 4);
  for (size_t i = 0; i < payload.size() && i < 125; ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
  if (::send(fd_, f.data(), f.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(f.size()))
    return network_error("web socket: send failed");
  return {};
}

Result<std::optional<std::string>> WebSocket::read_text(int timeout_ms) {
  for (;;) {
    // Parse one frame from the buffer when complete.
    if (buffer_.size() >= 2) {
      auto b = [&](size_t i) { return static_cast<unsigned char>(buffer_[i]); };
      bool fin = b(0) & 0x80;
      int opcode = b(0) & 0x0F;
      bool masked = b(1) & 0x80;
      uint64_t len = b(1) & 0x7F;
      size_t at = 2;
      bool complete = true;
      if (len == 126) {
        if (buffer_.size() < 4)
          complete = false;
        else
          len = (uint64_t(b(2)) << 8) | b(3), at = 4;
      } else if (len == 127) {
        if (buffer_.size() < 10)
          complete = false;
        else {
          len = 0;
          for (int i = 0; i < 8; ++i) len = (len << 8) | b(2 + i);
          at = 10;
        }
      }
      if (len > (64u << 20)) return corrupt("web socket: frame too large");
      if (complete && buffer_.size() >= at + (masked ? 4 : 0) + len) {
        std::string payload = buffer_.substr(at + (masked ? 4 : 0), len);
        if (masked)
          for (size_t i = 0; i < payload.size(); ++i) payload[i] ^= buffer_[at + i % 4];
        buffer_.erase(0, at + (masked ? 4 : 0) + len);
        if (opcode == 0x8) return network_error("web socket closed by the server");
        if (opcode == 0x9) {
          TM_RETURN_IF_ERROR(send_frame(0xA, payload));
          continue;
        }
        if (opcode == 0xA) continue;
        if (opcode == 0x1 || (opcode == 0x0 && !fragments_.empty())) {
          fragments_ += payload;
          if (!fin) continue;
          std::string text = std::move(fragments_);
          fragments_.clear();
          return std::optional<std::string>(std::move(text));
        }
        continue;  // binary frames (previews) and their continuations
      }
    }
    TM_ASSIGN_OR_RETURN(bool got, fill(timeout_ms));
    if (!got) return std::optional<std::string>();
  }
}

}  // namespace tagmetry::gen
