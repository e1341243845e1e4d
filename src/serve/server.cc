// The HTTP side of `yoloxrt serve`: cpp-httplib (Debian's libcpp-httplib) parses HTTP; this file
// routes requests, enforces the limits, and turns library errors into KServe error bodies.
#include "yoloxrt/server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "serve/batcher.h"
#include "serve/kserve.h"
#include "serve/metrics.h"
#include "yoloxrt/error.h"
#include "yoloxrt/image.h"
#include "yoloxrt/image_header.h"
#include "yoloxrt/model_metadata.h"
#include "yoloxrt/results.h"
#include "yoloxrt/session.h"

namespace yoloxrt {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using serve::DetectBatcher;
using serve::Metrics;
using Clock = std::chrono::steady_clock;

constexpr const char* kJson = "application/json";

struct Model {
  std::string name;
  fs::path path;
  ModelInfo io;
  std::unique_ptr<Detector> detector;  // null when the model is not a YOLOX detector
  std::string not_a_detector;          // why, for /v1 requests
  std::unique_ptr<DetectBatcher> batcher;
  std::mutex session_mu;  // guards the lazy creation of `session`
  std::unique_ptr<Session> session;
};

// A response with an HTTP status and a KServe error body.
struct HttpError {
  int status;
  std::string message;
};

// What one request thread knows about the request it is serving (a request is served by one
// thread from its request line to its response, so the pre-routing handler can hand this to the
// logger).
struct RequestState {
  bool active = false;
  Clock::time_point start;
  std::string endpoint = "other";
};
thread_local RequestState t_request;

struct Route {
  std::regex pattern;
  const char* endpoint;  // metrics label
  bool post;             // else GET/HEAD
};

const std::vector<Route>& routes() {
  static const std::string model = "/v2/models/([^/]+)(?:/versions/([^/]+))?";
  static const std::vector<Route> r = {
      {std::regex("/v2/health/live"), "/v2/health/live", false},
      {std::regex("/v2/health/ready"), "/v2/health/ready", false},
      {std::regex("/v2/?"), "/v2", false},
      {std::regex(model), "/v2/models/{name}", false},
      {std::regex(model + "/ready"), "/v2/models/{name}/ready", false},
      {std::regex(model + "/infer"), "/v2/models/{name}/infer", true},
      {std::regex("/v1/detect"), "/v1/detect", true},
      {std::regex("/v1/models/([^/]+)/detect"), "/v1/models/{name}/detect", true},
      {std::regex("/metrics"), "/metrics", false},
  };
  return r;
}

const Route* match_route(const std::string& path) {
  for (const Route& r : routes())
    if (std::regex_match(path, r.pattern)) return &r;
  return nullptr;
}

std::string error_body(const std::string& message) { return json{{"error", message}}.dump(); }

bool request_has_body(const httplib::Request& req) {
  if (req.has_header("Transfer-Encoding")) return true;
  const std::string len = req.get_header_value("Content-Length");
  return !len.empty() && len != "0";
}

// Answers an error. With `close`, the connection is closed after the response: the request's
// body (if any) was not read, so the bytes left on the socket must not be parsed as the next
// request. httplib closes a connection when writing the response fails, so the body is sent by a
// content provider that writes it all and then reports failure.
void send_error(httplib::Response& res, int status, const std::string& message, bool close) {
  res.status = status;
  std::string body = error_body(message);
  if (!close) {
    res.set_content(body, kJson);
    return;
  }
  res.set_header("Connection", "close");
  const size_t size = body.size();
  res.set_content_provider(
      size, kJson, [body = std::move(body)](size_t offset, size_t length, httplib::DataSink& sink) {
        sink.write(body.data() + offset, length);
        return false;  // close the connection (see above)
      });
}

// A strict number parse of a query parameter.
template <typename T>
std::optional<T> parse_number(const std::string& text) {
  T value{};
  const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

struct InFlight {
  explicit InFlight(std::atomic<int>& n) : n_(n) { ++n_; }
  ~InFlight() { --n_; }
  std::atomic<int>& n_;
};

// One image's answer: detect's JSON object (yoloxrt/results.h) without the "image" key, which
// names a file and a request has none.
std::string detect_answer(int width, int height, std::vector<Detection> dets,
                          const std::vector<std::string>& names) {
  const ImageResult r{"", std::nullopt, width, height, std::move(dets)};
  auto j = nlohmann::ordered_json::parse(detection_json(r, names));
  j.erase("image");
  return j.dump();
}

class ServerImpl final : public Server {
 public:
  explicit ServerImpl(const ServerOptions& options);
  ~ServerImpl() override {
    stop();
    wait_for(std::chrono::hours(24 * 365));
  }

  int port() const override { return port_; }
  void stop() override {
    ready_ = false;
    http_.stop();
  }
  bool wait_for(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(done_mu_);
    if (!done_cv_.wait_for(lock, timeout, [&] { return listen_done_; })) return false;
    lock.unlock();
    std::call_once(join_once_, [&] {
      listener_.join();
      // Every connection is closed: nothing can submit any more; finish what is queued.
      for (auto& m : models_) m->batcher.reset();
    });
    return true;
  }
  int in_flight() const override { return metrics_.in_flight.load(); }
  std::string metrics_text() const override { return metrics_.render(); }

 private:
  void load_models();
  void install_routes();
  Model* find_model(const std::string& name);
  Session& session_of(Model& m);
  // Reads the whole body through `reader`, at most max_body_ bytes and within timeout_. For
  // multipart form data, returns the image part: the first part with a file name, else the part
  // named "image" or "file", else the first part.
  std::string read_body(const httplib::Request& req, const httplib::ContentReader& reader);

  void handle_detect(const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& reader, const std::string& model_name);
  void handle_infer(const httplib::Request& req, httplib::Response& res,
                    const httplib::ContentReader& reader);

  ServerOptions options_;
  size_t max_body_;
  uint64_t max_pixels_;
  Metrics metrics_;  // before models_: their batchers report to it
  std::vector<std::unique_ptr<Model>> models_;
  httplib::Server http_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> ready_{false};
  std::thread listener_;
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  bool listen_done_ = false;
  std::once_flag join_once_;
};

ServerImpl::ServerImpl(const ServerOptions& options) : options_(options) {
  const auto& o = options_;
  if (o.models.empty()) throw Error(ErrorKind::kInvalidArgument, "serve: no model given");
  if (o.max_batch < 1 || o.max_batch > 1024)
    throw Error(ErrorKind::kInvalidArgument, "--max-batch must be in [1, 1024]");
  if (!(o.max_queue_delay_ms >= 0 && o.max_queue_delay_ms <= 10000))
    throw Error(ErrorKind::kInvalidArgument, "--max-queue-delay-ms must be in [0, 10000]");
  if (o.max_queue < 1) throw Error(ErrorKind::kInvalidArgument, "--max-queue must be >= 1");
  if (!(o.max_body_mb > 0 && o.max_body_mb <= 4096))
    throw Error(ErrorKind::kInvalidArgument, "--max-body-mb must be in (0, 4096]");
  if (!(o.timeout_s > 0 && o.timeout_s <= 3600))
    throw Error(ErrorKind::kInvalidArgument, "--timeout-s must be in (0, 3600]");
  if (!(o.max_megapixels > 0 && o.max_megapixels <= 1e6))
    throw Error(ErrorKind::kInvalidArgument, "--max-megapixels must be in (0, 1000000]");
  if (o.http_threads < 1 || o.http_threads > 4096)
    throw Error(ErrorKind::kInvalidArgument, "--http-threads must be in [1, 4096]");
  if (o.port < 0 || o.port > 65535)
    throw Error(ErrorKind::kInvalidArgument, "--port must be in [0, 65535]");
  max_body_ = static_cast<size_t>(o.max_body_mb * 1024 * 1024);
  max_pixels_ = static_cast<uint64_t>(o.max_megapixels * 1e6);
  load_models();
  install_routes();

  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
  http_.set_read_timeout(timeout);
  http_.set_write_timeout(timeout);
  // Idle keep-alive connections close after 2 s, so that a shutdown never waits longer for them.
  http_.set_keep_alive_timeout(2);
  http_.set_keep_alive_max_count(1000);
  http_.set_payload_max_length(max_body_);
  const size_t threads = static_cast<size_t>(o.http_threads);
  http_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_.set_socket_options([this](socket_t sock) {
    httplib::default_socket_options(sock);
    // httplib writes a response's headers and body separately: with Nagle's algorithm the body
    // waits for the client's delayed ACK of the headers (~40 ms a request). Accepted sockets
    // inherit TCP_NODELAY from the listening one (Linux).
    const int one = 1;
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    listen_fd_ = sock;
  });

  if (o.port == 0) {
    port_ = http_.bind_to_any_port(o.host);
    if (port_ <= 0) throw Error(ErrorKind::kIo, "cannot bind a port on " + o.host);
  } else {
    if (!http_.bind_to_port(o.host, o.port))
      throw Error(ErrorKind::kIo, "cannot bind " + o.host + ":" + std::to_string(o.port) +
                                      " (in use, or not an address of this machine)");
    port_ = o.port;
  }
  // httplib listens with a backlog of 5: 32 clients connecting at once would see refused or
  // retried SYNs. Listening again on the same socket raises the backlog (Linux).
  if (listen_fd_ >= 0) ::listen(listen_fd_, SOMAXCONN);

  listener_ = std::thread([this] {
    http_.listen_after_bind();
    std::lock_guard lock(done_mu_);
    listen_done_ = true;
    done_cv_.notify_all();
  });
  // stop() only works once httplib says it is running.
  while (!http_.is_running()) {
    {
      std::lock_guard lock(done_mu_);
      if (listen_done_) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ready_ = true;
}

void ServerImpl::load_models() {
  std::map<std::string, fs::path> names;
  for (const auto& path : options_.models) {
    auto m = std::make_unique<Model>();
    m->path = path;
    m->name = path.stem().string();
    if (!names.emplace(m->name, path).second)
      throw Error(ErrorKind::kInvalidArgument,
                  "two models are named '" + m->name + "' (" + names[m->name].string() + " and " +
                      path.string() + "): model names are file stems and must differ");
    m->io = inspect_model(path);
    try {
      m->detector = Detector::open(path, options_.detector);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kUnsupported && e.kind() != ErrorKind::kMismatch) throw;
      m->not_a_detector = e.what();  // still served by the v2 endpoints
    }
    if (m->detector) {
      // Batching needs a dynamic batch dim; a fixed one runs one image per Run anyway.
      const auto& shape = m->io.inputs.at(0).shape;
      const bool dynamic_batch = !shape.empty() && shape[0] < 0;
      const size_t max_batch = dynamic_batch ? static_cast<size_t>(options_.max_batch) : 1;
      const auto delay =
          std::chrono::microseconds(static_cast<int64_t>(options_.max_queue_delay_ms * 1000));
      m->batcher = std::make_unique<DetectBatcher>(*m->detector, m->name, max_batch, delay,
                                                   options_.max_queue, metrics_);
    }
    models_.push_back(std::move(m));
  }
}

Model* ServerImpl::find_model(const std::string& name) {
  for (auto& m : models_)
    if (m->name == name) return m.get();
  return nullptr;
}

Session& ServerImpl::session_of(Model& m) {
  std::lock_guard lock(m.session_mu);
  if (!m.session) {
    SessionOptions so;
    so.threads = options_.detector.threads;
    so.providers = options_.detector.providers;
    m.session = Session::open(m.path, so);
  }
  return *m.session;
}

std::string ServerImpl::read_body(const httplib::Request& req,
                                  const httplib::ContentReader& reader) {
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(options_.timeout_s * 1000));
  size_t total = 0;
  bool too_big = false, too_slow = false;
  auto count = [&](size_t n) {
    total += n;
    if (total > max_body_) too_big = true;
    if (Clock::now() > deadline) too_slow = true;
    return !too_big && !too_slow;
  };
  std::string body;
  bool ok;
  if (req.is_multipart_form_data()) {
    std::vector<httplib::MultipartFormData> parts;
    ok = reader(
        [&](const httplib::MultipartFormData& part) {
          parts.push_back(part);
          return parts.size() <= 64;
        },
        [&](const char* data, size_t n) {
          if (!count(n)) return false;
          parts.back().content.append(data, n);
          return true;
        });
    if (ok) {
      auto pick = std::find_if(parts.begin(), parts.end(),
                               [](const auto& p) { return !p.filename.empty(); });
      if (pick == parts.end())
        pick = std::find_if(parts.begin(), parts.end(),
                            [](const auto& p) { return p.name == "image" || p.name == "file"; });
      if (pick == parts.end()) pick = parts.begin();
      if (pick == parts.end()) throw HttpError{400, "the multipart form data has no part"};
      body = std::move(pick->content);
    }
  } else {
    ok = reader([&](const char* data, size_t n) {
      if (!count(n)) return false;
      body.append(data, n);
      return true;
    });
  }
  if (too_big)
    throw HttpError{413, "the request body is larger than " + std::to_string(max_body_) +
                             " bytes (--max-body-mb)"};
  if (too_slow) throw HttpError{408, "the request body took longer than --timeout-s to arrive"};
  if (!ok) throw HttpError{400, "the request body could not be read (truncated or malformed)"};
  return body;
}

void ServerImpl::handle_detect(const httplib::Request& req, httplib::Response& res,
                               const httplib::ContentReader& reader,
                               const std::string& model_name) {
  InFlight guard(metrics_.in_flight);
  bool body_read = false;
  try {
    Model* m = model_name.empty() ? models_.front().get() : find_model(model_name);
    if (!m) throw HttpError{404, "unknown model '" + model_name + "'"};
    if (!m->detector)
      throw HttpError{400, "model '" + m->name + "' is not a YOLOX detector (" + m->not_a_detector +
                               "): use /v2/models/" + m->name + "/infer"};
    const DetectorOptions& d = m->detector->options();
    DetectParams params{d.conf, d.iou, d.per_class, d.max_det};
    for (const auto& [key, value] : req.params) {
      if (key == "conf" || key == "iou") {
        const auto v = parse_number<float>(value);
        if (!v || !(*v >= 0.f && *v <= 1.f))
          throw HttpError{
              400, "query parameter " + key + " must be a number in [0, 1], got '" + value + "'"};
        (key == "conf" ? params.conf : params.iou) = *v;
      } else if (key == "max_det") {
        const auto v = parse_number<size_t>(value);
        if (!v) throw HttpError{400, "query parameter max_det must be an integer >= 0"};
        params.max_det = *v;
      } else if (key == "per_class") {
        if (value != "true" && value != "false" && value != "1" && value != "0")
          throw HttpError{400, "query parameter per_class must be true or false"};
        params.per_class = value == "true" || value == "1";
      } else {
        throw HttpError{
            400, "unknown query parameter '" + key + "' (known: conf, iou, max_det, per_class)"};
      }
    }
    const std::string body = read_body(req, reader);
    body_read = true;
    if (body.empty()) throw HttpError{400, "the request body is empty: send an image"};
    std::vector<uint8_t> bytes(body.begin(), body.end());
    const ImageFormat* format = identify_image_format(bytes);
    if (!format || !format->decodable)
      throw HttpError{415, "the request body is not an image of a readable format (" +
                               decodable_image_formats() + ")"};
    ImageBuffer image;
    try {
      image = decode_image(bytes, "request body", max_pixels_);
    } catch (const Error& e) {
      throw HttpError{e.kind() == ErrorKind::kUnsupported ? 413 : 400, e.what()};
    }
    const int width = image.width(), height = image.height();
    auto future = m->batcher->submit(std::move(image), params);
    if (!future.valid()) {
      res.set_header("Retry-After", "1");
      throw HttpError{503, "the queue of model '" + m->name + "' is full (--max-queue " +
                               std::to_string(options_.max_queue) + "); retry later"};
    }
    res.set_content(detect_answer(width, height, future.get(), m->detector->metadata().class_names),
                    kJson);
  } catch (const HttpError& e) {
    send_error(res, e.status, e.message, !body_read);
  } catch (const std::exception& e) {
    // The Detector failing on a decoded image (ONNX Runtime) is the server's fault.
    send_error(res, 500, e.what(), !body_read);
  }
}

void ServerImpl::handle_infer(const httplib::Request& req, httplib::Response& res,
                              const httplib::ContentReader& reader) {
  InFlight guard(metrics_.in_flight);
  bool body_read = false;
  try {
    const std::string name = req.matches[1];
    const std::string version = req.matches.size() > 2 ? std::string(req.matches[2]) : "";
    Model* m = find_model(name);
    if (!m) throw HttpError{404, "unknown model '" + name + "'"};
    if (!version.empty() && version != "1")
      throw HttpError{404, "model '" + name + "' has no version '" + version + "' (only 1)"};
    const std::string body = read_body(req, reader);
    body_read = true;
    serve::InferRequest request;
    std::vector<NamedTensor> outputs;
    try {
      request = serve::parse_infer_request(body, m->io);
      outputs = session_of(*m).run(request.inputs, request.outputs);
    } catch (const Error& e) {
      throw HttpError{e.kind() == ErrorKind::kInvalidArgument ? 400 : 500, e.message()};
    }
    res.set_content(serve::infer_response(m->name, request.id, outputs), kJson);
  } catch (const HttpError& e) {
    send_error(res, e.status, e.message, !body_read);
  } catch (const std::exception& e) {
    send_error(res, 500, e.what(), !body_read);
  }
}

void ServerImpl::install_routes() {
  http_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    t_request = {true, Clock::now(), "other"};
    const Route* route = match_route(req.path);
    const bool has_body = request_has_body(req);
    if (!route) {
      send_error(res, 404, "no such endpoint: " + req.path, has_body);
      return httplib::Server::HandlerResponse::Handled;
    }
    t_request.endpoint = route->endpoint;
    const bool get = req.method == "GET" || req.method == "HEAD";
    if (route->post ? req.method != "POST" : !get) {
      res.set_header("Allow", route->post ? "POST" : "GET, HEAD");
      send_error(res, 405, req.method + " is not allowed on " + route->endpoint, has_body);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.has_header("Content-Length")) {
      const auto len = parse_number<uint64_t>(req.get_header_value("Content-Length"));
      if (!len) {
        send_error(res, 400, "malformed Content-Length", true);
        return httplib::Server::HandlerResponse::Handled;
      }
      if (*len > max_body_) {
        send_error(res, 413,
                   "the request body (" + std::to_string(*len) + " bytes) is larger than " +
                       std::to_string(max_body_) + " bytes (--max-body-mb)",
                   true);
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Clients that ask first (Expect: 100-continue, as curl does for large bodies) are refused
  // before they send anything.
  http_.set_expect_100_continue_handler(
      [this](const httplib::Request& req, httplib::Response& res) {
        const auto len = parse_number<uint64_t>(req.get_header_value("Content-Length"));
        if (len && *len > max_body_) {
          t_request = {true, Clock::now(), "other"};
          if (const Route* route = match_route(req.path)) t_request.endpoint = route->endpoint;
          send_error(res, 413,
                     "the request body (" + std::to_string(*len) + " bytes) is larger than " +
                         std::to_string(max_body_) + " bytes (--max-body-mb)",
                     true);
          return 413;
        }
        return 100;
      });
  // Errors httplib answers itself (a malformed request line, an over-long URI) get the KServe
  // error body too.
  http_.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty() || res.has_header("Content-Type"))
          return httplib::Server::HandlerResponse::Unhandled;
        std::string what = "HTTP " + std::to_string(res.status);
        if (res.status == 400) what += ": malformed request";
        if (res.status == 413) what += ": request body too large";
        if (res.status == 414) what += ": request URI too long";
        res.set_content(error_body(what), kJson);
        return httplib::Server::HandlerResponse::Handled;
      }));
  http_.set_logger([this](const httplib::Request&, const httplib::Response& res) {
    const double seconds =
        t_request.active ? std::chrono::duration<double>(Clock::now() - t_request.start).count()
                         : 0.0;
    metrics_.record_request(t_request.active ? t_request.endpoint : "other", res.status, seconds);
    t_request = {};
  });

  http_.Get("/v2/health/live", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"live\":true}", kJson);
  });
  http_.Get("/v2/health/ready", [this](const httplib::Request&, httplib::Response& res) {
    if (ready_)
      res.set_content("{\"ready\":true}", kJson);
    else
      send_error(res, 503, "the server is shutting down", false);
  });
  http_.Get(R"(/v2/?)", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        json{{"name", "yoloxrt"}, {"version", version_string()}, {"extensions", json::array()}}
            .dump(),
        kJson);
  });
  const std::string model = "/v2/models/([^/]+)(?:/versions/([^/]+))?";
  auto model_get = [this](bool ready_only) {
    return [this, ready_only](const httplib::Request& req, httplib::Response& res) {
      const std::string name = req.matches[1];
      const std::string version = req.matches[2];
      Model* m = find_model(name);
      if (!m || (!version.empty() && version != "1")) {
        send_error(
            res, 404,
            "unknown model '" + name + (version.empty() ? "" : "' version '" + version) + "'",
            false);
        return;
      }
      if (ready_only) {
        if (ready_)
          res.set_content("{\"name\":" + json(name).dump() + ",\"ready\":true}", kJson);
        else
          send_error(res, 503, "the server is shutting down", false);
      } else {
        res.set_content(serve::model_metadata_json(m->name, m->io), kJson);
      }
    };
  };
  http_.Get(model, model_get(false));
  http_.Get(model + "/ready", model_get(true));
  http_.Post(model + "/infer",
             [this](const httplib::Request& req, httplib::Response& res,
                    const httplib::ContentReader& reader) { handle_infer(req, res, reader); });
  http_.Post("/v1/detect",
             [this](const httplib::Request& req, httplib::Response& res,
                    const httplib::ContentReader& reader) { handle_detect(req, res, reader, ""); });
  http_.Post("/v1/models/([^/]+)/detect",
             [this](const httplib::Request& req, httplib::Response& res,
                    const httplib::ContentReader& reader) {
               handle_detect(req, res, reader, req.matches[1]);
             });
  http_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.render(), "text/plain; version=0.0.4");
  });
}

}  // namespace

std::unique_ptr<Server> Server::start(const ServerOptions& options) {
  return std::make_unique<ServerImpl>(options);
}

}  // namespace yoloxrt
