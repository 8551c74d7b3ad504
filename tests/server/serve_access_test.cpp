// serve for a server others can reach (containers, rented GPUs; docs/deploy.md): with an access token
// (--token / TAGMETRY_TOKEN) every request must carry it (Bearer header, the cookie set by /?token=, or the
// query), the CSRF token is still needed for changes; --allowed-hosts adds names the Host check accepts.
#include <gtest/gtest.h>

#include "../../src/server/http_util.h"
#include "server_fixture.h"
#include "test_support.h"

namespace tagmetry::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kToken = "s3cret-Token_1.~";

class ServeAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_all(tmp / "a.txt", "1girl, solo");
    write_all(tmp / "a.png", "not really a png");
    ServeParams params;
    params.token = kToken;
    params.allowed_hosts = "POD-7860.proxy.runpod.net, localhost:8080";
    srv = std::make_unique<RunningServer>(tmp.path(), params);
  }
  std::string host(const std::string& name) { return name + ":" + std::to_string(srv->server().port()); }
  TempDir tmp;
  std::unique_ptr<RunningServer> srv;
};

TEST_F(ServeAccessTest, EveryRequestNeedsTheAccessToken) {
  for (std::string path : {"/", "/api/session", "/api/images", "/api/image/0/file"}) {
    auto r = srv->client().Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_EQ(json::parse(r->body)["error"]["code"], "token") << path;
    EXPECT_EQ(r->body.find(srv->token()), std::string::npos) << path;  // no session token without access
  }
  auto wrong = srv->client().Get("/api/session", {{"Authorization", "Bearer s3cret-Token_1.X"}});
  EXPECT_EQ(wrong->status, 401);
  auto wrong_cookie = srv->client().Get("/api/session", {{"Cookie", "tagmetry_token=s3cret"}});
  EXPECT_EQ(wrong_cookie->status, 401);

  auto bearer = srv->client().Get("/api/session", {{"Authorization", std::string("Bearer ") + kToken}});
  ASSERT_EQ(bearer->status, 200);
  EXPECT_EQ(json::parse(bearer->body)["token"], srv->token());
  EXPECT_FALSE(bearer->has_header("Set-Cookie"));
}

TEST_F(ServeAccessTest, TheQueryTokenSetsACookieTheBrowserSendsAfterwards) {
  auto first = srv->client().Get(std::string("/api/session?token=") + kToken);
  ASSERT_EQ(first->status, 200);
  EXPECT_EQ(first->get_header_value("Set-Cookie"),
            std::string("tagmetry_token=") + kToken + "; Path=/; HttpOnly; SameSite=Strict");
  auto later = srv->client().Get("/api/images", {{"Cookie", std::string("theme=dark; tagmetry_token=") + kToken}});
  ASSERT_EQ(later->status, 200);
  EXPECT_NE(later->body.find("a.png"), std::string::npos);
}

TEST_F(ServeAccessTest, ChangesStillNeedTheSessionToken) {
  httplib::Headers auth{{"Authorization", std::string("Bearer ") + kToken}};
  auto no_csrf = srv->client().Post("/api/undo", auth, "{}", "application/json");
  EXPECT_EQ(no_csrf->status, 403);
  EXPECT_EQ(json::parse(no_csrf->body)["error"]["code"], "csrf");
  auth.emplace("X-Tagmetry-Token", srv->token());
  auto with_both = srv->client().Post("/api/undo", auth, "{}", "application/json");
  EXPECT_NE(with_both->status, 401);
  EXPECT_NE(with_both->status, 403);
  EXPECT_EQ(read_all(tmp / "a.txt"), "1girl, solo");
}

TEST_F(ServeAccessTest, AllowedHostsExtendTheHostCheck) {
  auto get = [&](const std::string& host_header) {
    return srv->client().Get("/api/session", {{"Host", host_header}, {"Authorization", std::string("Bearer ") + kToken}})->status;
  };
  EXPECT_EQ(get("pod-7860.proxy.runpod.net"), 200);         // a name: any port (a proxy on 443 sends none)
  EXPECT_EQ(get("pod-7860.proxy.runpod.net:443"), 200);
  EXPECT_EQ(get("localhost:8080"), 200);                     // NAME:PORT: a port mapping (-p 8080:7860)
  EXPECT_EQ(get(host("localhost")), 200);                    // loopback as before
  EXPECT_EQ(get("localhost:9090"), 403);
  EXPECT_EQ(get("other-7860.proxy.runpod.net"), 403);
  EXPECT_EQ(get("evil.example"), 403);
}

TEST(ServeAccess, HostListsAndTokenRules) {
  using server::access_token_valid;
  using server::host_listed;
  EXPECT_TRUE(host_listed("Example.COM:8443", "example.com"));
  EXPECT_TRUE(host_listed("example.com:8443", " other , example.com:8443"));
  EXPECT_FALSE(host_listed("example.com:8444", "example.com:8443"));
  EXPECT_FALSE(host_listed("example.com", ""));
  EXPECT_FALSE(host_listed("", "example.com"));
  EXPECT_TRUE(host_listed("[::1]:8080", "[::1]:8080"));
  EXPECT_FALSE(host_listed("sub.example.com", "example.com"));
  EXPECT_TRUE(host_listed("abc123-7860.proxy.runpod.net", "*.proxy.runpod.net"));
  EXPECT_TRUE(host_listed("a.b.example.com:443", "*.example.com"));
  EXPECT_FALSE(host_listed("example.com", "*.example.com"));
  EXPECT_FALSE(host_listed("evilexample.com", "*.example.com"));
  EXPECT_FALSE(host_listed("x.example.com.evil.net", "*.example.com"));

  EXPECT_TRUE(access_token_valid(""));
  EXPECT_TRUE(access_token_valid("abcdEFGH-1._~"));
  EXPECT_FALSE(access_token_valid("short"));
  EXPECT_FALSE(access_token_valid("has space in it"));
  EXPECT_FALSE(access_token_valid("semi;colon=cookie"));
  EXPECT_FALSE(access_token_valid(std::string(257, 'a')));
}

TEST(ServeAccess, AnUnusableTokenIsRefusedAtStart) {
  TempDir tmp;
  ServeParams params;
  params.token = "a b;c";
  auto server = Server::create(tmp.path(), params);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("TAGMETRY_TOKEN"), std::string::npos) << server.status().message();
}

}  // namespace
}  // namespace tagmetry::testing
