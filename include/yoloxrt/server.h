// yoloxrt/server.h - an HTTP server for ONNX models: the KServe v2 / Triton HTTP protocol plus a
// plain image endpoint that answers detect's JSON.
//
// Endpoints (a model's name is its file stem):
//   GET  /v2/health/live, /v2/health/ready, /v2 (server metadata)
//   GET  /v2/models/{name}[/versions/{v}], /v2/models/{name}[/versions/{v}]/ready
//   POST /v2/models/{name}[/versions/{v}]/infer   JSON tensors in and out (KServe v2)
//   POST /v1/detect, /v1/models/{name}/detect      an image (or multipart form data) -> one image's
//        {"width", "height", "detections"} as `yoloxrt detect --json` writes it; query conf, iou,
//        max_det, per_class
//   GET  /metrics                                  Prometheus text
// Errors answer KServe's body {"error": "..."} with a 4xx/5xx status; see README "serve".
//
// Concurrent /v1 requests for one model are batched into one ONNX Runtime Run (dynamic batching)
// when the model's batch dimension is dynamic.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "yoloxrt/detector.h"

namespace yoloxrt {

struct ServerOptions {
  std::vector<std::filesystem::path> models;  // at least one; stems must differ
  std::string host = "127.0.0.1";
  int port = 8000;        // 0 = any free port (Server::port() says which)
  int http_threads = 64;  // connections served at once (each keep-alive connection holds one)

  // Dynamic batching of /v1 detect requests, per model.
  int max_batch = 8;              // images per Run (1 = no batching)
  double max_queue_delay_ms = 2;  // how long the first image of a batch waits for company
  size_t max_queue = 256;         // images waiting; beyond that 503 with Retry-After

  double max_body_mb = 32;      // larger bodies: 413, judged from Content-Length before reading
  double timeout_s = 30;        // per read/write on a connection, and for a whole request body
  double max_megapixels = 100;  // larger images: 413, judged from the image header

  // The /v1 detectors: threads (ONNX Runtime intra-op threads per model), providers, and the
  // default conf/iou/max_det/per_class that query parameters override. Also the threads of the
  // v2 sessions.
  DetectorOptions detector;
};

class Server {
 public:
  // Loads every model, binds host:port and starts serving in background threads. Returns once
  // the socket is listening. Throws Error(kInvalidArgument) for bad options or two models with
  // the same name, the Detector/Session errors for a model that cannot be loaded, and
  // Error(kIo) if the address cannot be bound.
  static std::unique_ptr<Server> start(const ServerOptions& options);

  // Stops (as stop()) and waits for everything to finish.
  virtual ~Server() = default;

  // The port actually bound (the chosen one when ServerOptions::port was 0).
  virtual int port() const = 0;

  // Stops accepting connections; requests being handled finish and are answered, idle
  // keep-alive connections are closed. Returns at once. Thread-safe, idempotent.
  virtual void stop() = 0;

  // Waits until the server has stopped (after stop()) and every connection has closed, or until
  // `timeout` passes. Returns true if it stopped.
  virtual bool wait_for(std::chrono::milliseconds timeout) = 0;

  // Requests whose handler is running right now.
  virtual int in_flight() const = 0;

  // The /metrics text (Prometheus exposition format).
  virtual std::string metrics_text() const = 0;
};

}  // namespace yoloxrt
