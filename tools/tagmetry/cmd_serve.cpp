// tagmetry serve DIR: the local web app (gallery, tag editing, filters, stats, preview, ja → tags, tag jobs).
#include <csignal>
#include <cstdio>
#include <thread>

#include "cli_options.h"
#include "cli_output.h"
#include "command.h"
#include "tagmetry/server.h"

namespace tagmetry::cli {
namespace {

Server* g_server = nullptr;
std::atomic<bool> g_stop{false};

struct ServeCommand {
  std::string dir;
  ServeParams params;
  std::unique_ptr<BoundOptions<ServeParams>> bound;

  int run() {
    // SIGINT and SIGTERM are blocked before any thread starts (every thread inherits the mask) and from
    // the very start, so a signal that comes while the server is starting stays pending for the waiter
    // thread below instead of killing the process or going unnoticed.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    Status s = bound->apply(params);
    if (!s.ok()) {
      print_error(s);
      return kExitUsage;
    }
    bool loopback = params.host == "127.0.0.1" || params.host == "localhost" || params.host == "::1";
    if (!loopback && params.token.empty())
      print_warning("listening on " + params.host + ": anyone who can reach this address can read and edit " + dir +
                    " (the session token only stops other web sites, not other people; set an access token with "
                    "--token or TAGMETRY_TOKEN)");
    auto server = Server::create(dir, params);
    if (!server.ok()) {
      print_error(server.status());
      return exit_code_for(server.status());
    }
    Status bound_status = (*server)->bind();
    if (!bound_status.ok()) {
      print_error(bound_status);
      return kExitSomeFailed;
    }
    if ((*server)->web_root().empty())
      print_warning("the web front end was not found (build it with `make build`, or pass --web-root); the API works");
    std::printf("Serving %s (%zu images, indexed in %.2f s) at %s\n", dir.c_str(), (*server)->images(),
                (*server)->index_seconds(), (*server)->url().c_str());
    std::printf("Press Ctrl-C to stop.\n");
    std::fflush(stdout);

    // Signals are handled on a thread of our own: stop() is not async-signal-safe.
    g_server = server->get();
    std::thread waiter([set] {
      int sig = 0;
      sigwait(&set, &sig);
      if (!g_stop.exchange(true) && g_server) g_server->stop();
    });
    Status ran = (*server)->run();
    if (!g_stop.exchange(true)) pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    g_server = nullptr;
    if (!ran.ok()) {
      print_error(ran);
      return kExitSomeFailed;
    }
    std::printf("Stopped.\n");
    return kExitOk;
  }
};

RunFunction setup(CLI::App& app) {
  auto cmd = std::make_shared<ServeCommand>();
  app.add_option("dir", cmd->dir, "Dataset folder (images with caption files beside them)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->bound = std::make_unique<BoundOptions<ServeParams>>(app, serve_options());
  return [cmd] { return cmd->run(); };
}

}  // namespace

TAGMETRY_COMMAND("serve", "Local web app: gallery, tag editor, filters, stats, kohya preview, ja → tags", 60, setup);

}  // namespace tagmetry::cli
