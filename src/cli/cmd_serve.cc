// yoloxrt serve: put models behind HTTP (KServe v2 / Triton protocol, plus /v1/detect).
// The server is the library's (yoloxrt/server.h); this file parses flags and waits for a signal.
#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "yoloxrt/error.h"
#include "yoloxrt/server.h"

namespace yoloxrt::cli {
namespace {

struct ServeArgs {
  std::vector<std::string> models;
  ServerOptions server;
  std::string ep;
  bool quiet = false;
};

void run_serve(ServeArgs& a) {
  ServerOptions o = a.server;
  for (const auto& m : a.models) o.models.emplace_back(m);
  o.detector.providers = split_list(a.ep);
  // OpenCV's own pixel limit backs up the header check (read once, at the first decode).
  const std::string cv_limit = std::to_string(static_cast<uint64_t>(o.max_megapixels * 1e6));
  ::setenv("OPENCV_IO_MAX_IMAGE_PIXELS", cv_limit.c_str(), /*overwrite=*/0);

  // SIGINT/SIGTERM are blocked in every thread (the server's threads inherit this mask) and
  // taken here with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // glibc gives each thread that allocates its own malloc arena (up to 8 per core) and keeps
  // what is freed there: with dozens of connection threads decoding megabyte images, RSS crept
  // up by tens of MB over 10,000 requests. A few shared arenas keep it flat.
  mallopt(M_ARENA_MAX, 2);
  auto server = Server::start(o);
  std::string names;
  for (const auto& m : o.models) names += (names.empty() ? "" : ", ") + m.stem().string();
  // Always printed (also with --quiet): with --port 0 it is how the caller learns the port.
  std::fprintf(stderr, "yoloxrt serve: listening on http://%s:%d (models: %s)\n", o.host.c_str(),
               server->port(), names.c_str());
  std::fflush(stderr);
  int sig = 0;
  sigwait(&signals, &sig);
  if (!a.quiet) {
    std::fprintf(stderr, "yoloxrt serve: %s, finishing %d request(s) in flight\n",
                 sig == SIGINT ? "SIGINT" : "SIGTERM", server->in_flight());
    std::fflush(stderr);
  }
  server->stop();
  // In-flight requests finish; connections that stay open longer (a client sending slowly) are
  // cut at 4.5 s so that the process always exits within 5 s.
  if (!server->wait_for(std::chrono::milliseconds(4500))) {
    std::fprintf(stderr, "yoloxrt serve: connections still open after 4.5 s, exiting\n");
    std::fflush(stderr);
    std::_Exit(0);
  }
  if (!a.quiet) std::fprintf(stderr, "yoloxrt serve: stopped\n");
}

}  // namespace

void register_serve(CLI::App& app, int& /*exit_code*/) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Serve models over HTTP: KServe v2 / Triton protocol (/v2/...), POST /v1/detect with an "
      "image, /metrics");
  cmd->add_option("models", a->models, "ONNX models; each is named by its file stem")->required();
  ServerOptions& s = a->server;
  cmd->add_option("--host", s.host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", s.port, "Port (0 = any free port, printed at start)")
      ->capture_default_str();
  cmd->add_option("--threads", s.detector.threads,
                  "ONNX Runtime intra-op threads per model (0 = one per core)")
      ->capture_default_str();
  cmd->add_option("--http-threads", s.http_threads,
                  "Connections served at once (each keep-alive connection holds one)")
      ->capture_default_str();
  cmd->add_option("--max-batch", s.max_batch,
                  "Dynamic batching: at most N images per Run (models with a dynamic batch dim)")
      ->capture_default_str();
  cmd->add_option("--max-queue-delay-ms", s.max_queue_delay_ms,
                  "Dynamic batching: how long a batch waits for more images")
      ->capture_default_str();
  cmd->add_option("--max-queue", s.max_queue,
                  "Images waiting per model; more are refused with 503 + Retry-After")
      ->capture_default_str();
  cmd->add_option("--max-body-mb", s.max_body_mb,
                  "Refuse larger request bodies (413, from Content-Length before reading)")
      ->capture_default_str();
  cmd->add_option("--timeout-s", s.timeout_s,
                  "Close connections that stall a read or write this long; request bodies must "
                  "arrive within it")
      ->capture_default_str();
  cmd->add_option("--max-megapixels", s.max_megapixels,
                  "Refuse larger images (413), judged from the header before decoding")
      ->capture_default_str();
  cmd->add_option("--conf", s.detector.conf, "Default score threshold of /v1 (query conf=)")
      ->capture_default_str();
  cmd->add_option("--iou", s.detector.iou, "Default NMS IoU threshold of /v1 (query iou=)")
      ->capture_default_str();
  cmd->add_option("--max-det", s.detector.max_det,
                  "Default maximum detections per image of /v1 (query max_det=)")
      ->capture_default_str();
  cmd->add_option("--ep", a->ep, "Execution providers in order, comma-separated (as detect)");
  cmd->add_flag("-q,--quiet", a->quiet, "Only the 'listening on' line");
  cmd->callback([a] { run_serve(*a); });
}

}  // namespace yoloxrt::cli
