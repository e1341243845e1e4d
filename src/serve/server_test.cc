// yoloxrt serve, end to end over loopback with a real HTTP client (cpp-httplib's, and raw sockets
// where a client library would be too polite): every endpoint, /v1/detect against the CLI's
// `detect --json`, v2 infer against a direct ONNX Runtime run, the bad-request matrix, dynamic
// batching with 32 concurrent clients (the ServeConcurrency suite also runs under TSan), a full
// queue, and SIGTERM on the CLI process.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "yoloxrt/export.h"
#include "yoloxrt/file_io.h"
#include "yoloxrt/server.h"

extern char** environ;

namespace yoloxrt {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string read_text(const fs::path& p) {
  const auto b = read_file_bytes(p);
  return std::string(b.begin(), b.end());
}

// Sends `request` as is on a fresh connection and returns everything the server sends back
// until it closes the connection or `timeout` passes.
std::string raw_exchange(int port, const std::string& request,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(3000),
                         bool* closed = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string out;
  const auto deadline = Clock::now() + timeout;
  if (closed) *closed = false;
  char buf[4096];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(left, 1))) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed) *closed = true;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

int status_of(const std::string& raw_response) {
  if (raw_response.rfind("HTTP/1.1 ", 0) != 0) return -1;
  return std::atoi(raw_response.c_str() + 9);
}

std::string body_of(const std::string& raw_response) {
  const size_t at = raw_response.find("\r\n\r\n");
  return at == std::string::npos ? "" : raw_response.substr(at + 4);
}

class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto fx = testing::fixtures_dir();
    if (!fx) return;
    fixtures_ = new fs::path(*fx);
    tmp_ = new testing::TempDir();
    // Megvii's released ONNX (fixed batch 1) and yoloxrt's export of the same weights (dynamic
    // batch), served side by side.
    ExportOptions eo;
    export_checkpoint(*fx / "megvii-nano" / "yolox_nano.pth", *tmp_ / "nano_dyn.onnx", eo, nullptr);
    ServerOptions o;
    o.models = {*fx / "megvii-nano" / "yolox_nano.onnx", *tmp_ / "nano_dyn.onnx"};
    o.port = 0;
    o.detector.threads = 1;
    o.max_batch = 8;
    o.max_queue_delay_ms = 5;
    o.max_body_mb = 8;
    o.timeout_s = 1;
    o.http_threads = 48;
    server_ = Server::start(o).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    delete tmp_;
    delete fixtures_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (!server_)
      GTEST_SKIP() << "fixtures not found: set YOLOXRT_FIXTURES or place ../shared/fixtures";
  }

  static httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(30, 0);
    c.set_keep_alive(true);
    return c;
  }
  static std::string dog() { return read_text(*fixtures_ / "megvii-nano" / "dog.jpg"); }

  // The server is still ready after whatever happened.
  static void expect_ready() {
    auto r = client().Get("/v2/health/ready");
    ASSERT_TRUE(r) << "server unreachable";
    EXPECT_EQ(r->status, 200);
  }

  static fs::path* fixtures_;
  static testing::TempDir* tmp_;
  static Server* server_;
};
fs::path* ServeTest::fixtures_ = nullptr;
testing::TempDir* ServeTest::tmp_ = nullptr;
Server* ServeTest::server_ = nullptr;

TEST_F(ServeTest, HealthAndMetadataEndpoints) {
  auto c = client();
  auto live = c.Get("/v2/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  expect_ready();

  auto meta = c.Get("/v2");
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->status, 200);
  EXPECT_EQ(json::parse(meta->body)["name"], "yoloxrt");

  auto model = c.Get("/v2/models/yolox_nano");
  ASSERT_TRUE(model);
  ASSERT_EQ(model->status, 200);
  const json m = json::parse(model->body);
  EXPECT_EQ(m["name"], "yolox_nano");
  EXPECT_EQ(m["platform"], "onnxruntime_onnx");
  ASSERT_EQ(m["inputs"].size(), 1u);
  EXPECT_EQ(m["inputs"][0]["name"], "images");
  EXPECT_EQ(m["inputs"][0]["datatype"], "FP32");
  EXPECT_EQ(m["inputs"][0]["shape"], json({1, 3, 416, 416}));
  EXPECT_EQ(m["outputs"][0]["shape"], json({1, 3549, 85}));

  auto dyn = c.Get("/v2/models/nano_dyn/versions/1");
  ASSERT_TRUE(dyn);
  ASSERT_EQ(dyn->status, 200);
  EXPECT_EQ(json::parse(dyn->body)["inputs"][0]["shape"][0], -1);  // dynamic batch

  auto ready = c.Get("/v2/models/nano_dyn/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  auto missing = c.Get("/v2/models/nope/ready");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_TRUE(json::parse(missing->body)["error"].is_string());

  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(
      metrics->body.find("yoloxrt_requests_total{endpoint=\"/v2/health/live\",status=\"200\"}"),
      std::string::npos)
      << metrics->body;
  for (const char* name : {"yoloxrt_request_duration_seconds_bucket", "yoloxrt_queue_depth",
                           "yoloxrt_in_flight", "# TYPE yoloxrt_batch_size histogram"})
    EXPECT_NE(metrics->body.find(name), std::string::npos) << name;
}

// /v1/detect answers what `yoloxrt detect --json` writes for the same photo and thresholds; as
// raw bytes and as multipart form data, and on the named-model route.
TEST_F(ServeTest, DetectEqualsDetectCli) {
  const fs::path model = *fixtures_ / "megvii-nano" / "yolox_nano.onnx";
  const fs::path photo = *fixtures_ / "megvii-nano" / "dog.jpg";
  const auto cli = testing::run_command(testing::cli_path() + " detect '" + model.string() + "' '" +
                                        photo.string() + "' --conf 0.1 --threads 1 --no-draw --json - -q");
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  json expected = json::parse(cli.out);
  expected.erase("image");
  ASSERT_GE(expected["detections"].size(), 3u);

  auto c = client();
  auto raw = c.Post("/v1/detect?conf=0.1", dog(), "image/jpeg");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 200) << raw->body;
  EXPECT_EQ(json::parse(raw->body), expected);

  httplib::MultipartFormDataItems form = {{"image", dog(), "dog.jpg", "image/jpeg"}};
  auto multi = c.Post("/v1/models/yolox_nano/detect?conf=0.1", form);
  ASSERT_TRUE(multi);
  ASSERT_EQ(multi->status, 200) << multi->body;
  EXPECT_EQ(json::parse(multi->body), expected);

  // Query thresholds are applied: max_det=2 keeps the first two.
  auto two = c.Post("/v1/models/yolox_nano/detect?conf=0.1&max_det=2", dog(), "image/jpeg");
  ASSERT_TRUE(two);
  ASSERT_EQ(two->status, 200);
  json first_two = expected;
  first_two["detections"] = json::array({expected["detections"][0], expected["detections"][1]});
  EXPECT_EQ(json::parse(two->body), first_two);
}

// v2 infer on Megvii's preprocessed dog tensor equals a direct ONNX Runtime run of the model.
TEST_F(ServeTest, InferEqualsDirectOrtRun) {
  const fs::path dir = *fixtures_ / "megvii-nano";
  const auto input = testing::read_f32(dir / "input_dog_416.f32");
  std::vector<int64_t> shape;
  const auto expected = testing::run_onnx(dir / "yolox_nano.onnx", {1, 3, 416, 416}, input, &shape);

  json req = {
      {"id", "dog-1"},
      {"inputs",
       {{{"name", "images"}, {"shape", {1, 3, 416, 416}}, {"datatype", "FP32"}, {"data", input}}}},
      {"outputs", {{{"name", "output"}}}}};
  auto r = client().Post("/v2/models/yolox_nano/infer", req.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body.substr(0, 500);
  const json res = json::parse(r->body);
  EXPECT_EQ(res["model_name"], "yolox_nano");
  EXPECT_EQ(res["id"], "dog-1");
  ASSERT_EQ(res["outputs"].size(), 1u);
  const json& out = res["outputs"][0];
  EXPECT_EQ(out["name"], "output");
  EXPECT_EQ(out["datatype"], "FP32");
  EXPECT_EQ(out["shape"], json(shape));
  const auto got = out["data"].get<std::vector<float>>();
  ASSERT_EQ(got.size(), expected.size());
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i)
    worst = std::max(worst, static_cast<double>(std::fabs(got[i] - expected[i])));
  EXPECT_LE(worst, 1e-6) << "max abs difference to the direct run";

  // Nested data (the shape's nesting) is accepted too and gives the same answer.
  json nested = json::array();
  for (int ch = 0; ch < 3; ++ch) {
    json plane = json::array();
    for (int y = 0; y < 416; ++y) {
      const auto* row = &input[(static_cast<size_t>(ch) * 416 + y) * 416];
      plane.push_back(std::vector<float>(row, row + 416));
    }
    nested.push_back(plane);
  }
  req["inputs"][0]["data"] = json::array({nested});
  auto r2 = client().Post("/v2/models/yolox_nano/infer", req.dump(), "application/json");
  ASSERT_TRUE(r2);
  ASSERT_EQ(r2->status, 200);
  EXPECT_EQ(json::parse(r2->body)["outputs"][0]["data"], out["data"]);
}

// Every bad request: its status, a KServe error body, and the server still ready afterwards.
TEST_F(ServeTest, BadRequestMatrix) {
  const std::string jpeg = dog();
  // A PNG header declaring 20000 x 20000 pixels (400 megapixels, over the 100 default).
  std::string huge_png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0N \0\0N \x08\x02\0\0\0", 29);
  huge_png += std::string(4, '\0');
  const json good_tensor = {{"name", "images"}, {"shape", {1, 3, 416, 416}}, {"datatype", "FP32"}};
  auto infer_with = [&](json input) {
    input["data"] = std::vector<float>(3 * 416 * 416, 0.f);
    return json{{"inputs", {input}}}.dump();
  };
  json wrong_name = good_tensor;
  wrong_name["name"] = "input";
  json wrong_type = good_tensor;
  wrong_type["datatype"] = "INT64";
  json wrong_shape = good_tensor;
  wrong_shape["shape"] = {1, 3, 208, 832};  // right count, wrong fixed dims

  struct Row {
    const char* what;
    std::string method, path, body, content_type;
    int status;
  };
  const std::vector<Row> rows = {
      {"empty body", "POST", "/v1/detect", "", "image/jpeg", 400},
      {"not an image", "POST", "/v1/detect", "hello, world", "text/plain", 415},
      {"truncated image", "POST", "/v1/detect", jpeg.substr(0, jpeg.size() / 3), "image/jpeg", 400},
      {"too many pixels", "POST", "/v1/detect", huge_png, "image/png", 413},
      {"bad query value", "POST", "/v1/detect?conf=high", jpeg, "image/jpeg", 400},
      {"unknown query", "POST", "/v1/detect?confidence=0.2", jpeg, "image/jpeg", 400},
      {"unknown model (v1)", "POST", "/v1/models/nope/detect", jpeg, "image/jpeg", 404},
      {"malformed JSON", "POST", "/v2/models/yolox_nano/infer", "{\"inputs\": [",
       "application/json", 400},
      {"JSON not an object", "POST", "/v2/models/yolox_nano/infer", "[1, 2]", "application/json",
       400},
      {"wrong tensor name", "POST", "/v2/models/yolox_nano/infer", infer_with(wrong_name),
       "application/json", 400},
      {"wrong datatype", "POST", "/v2/models/yolox_nano/infer", infer_with(wrong_type),
       "application/json", 400},
      {"wrong shape", "POST", "/v2/models/yolox_nano/infer", infer_with(wrong_shape),
       "application/json", 400},
      {"too little data", "POST", "/v2/models/yolox_nano/infer",
       json{{"inputs",
             {{{"name", "images"},
               {"shape", {1, 3, 416, 416}},
               {"datatype", "FP32"},
               {"data", {1, 2, 3}}}}}}
           .dump(),
       "application/json", 400},
      {"unknown model (v2)", "POST", "/v2/models/nope/infer", "{}", "application/json", 404},
      {"unknown model metadata", "GET", "/v2/models/nope", "", "", 404},
      {"unknown version", "GET", "/v2/models/yolox_nano/versions/7", "", "", 404},
      {"wrong method GET", "GET", "/v1/detect", "", "", 405},
      {"wrong method POST", "POST", "/v2/health/live", "x", "text/plain", 405},
      {"wrong method PUT", "PUT", "/v2/models/yolox_nano/infer", "{}", "application/json", 405},
      {"unknown endpoint", "GET", "/v3/anything", "", "", 404},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    auto c = client();
    httplib::Result r = row.method == "GET" ? c.Get(row.path.c_str())
                        : row.method == "PUT"
                            ? c.Put(row.path.c_str(), row.body, row.content_type.c_str())
                            : c.Post(row.path.c_str(), row.body, row.content_type.c_str());
    ASSERT_TRUE(r) << "no response: " << httplib::to_string(r.error());
    EXPECT_EQ(r->status, row.status) << r->body;
    const json body = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r->body;
    EXPECT_TRUE(body.contains("error") && body["error"].is_string() &&
                !body["error"].get<std::string>().empty())
        << r->body;
    if (row.status == 405) {
      EXPECT_TRUE(r->has_header("Allow"));
    }
    expect_ready();
  }
}

// A body over --max-body-mb (8 MB here) is refused from its declared Content-Length alone: the
// 413 arrives although not one byte of the body was sent, and the connection is closed.
TEST_F(ServeTest, OversizedBodyRefusedBeforeReading) {
  bool closed = false;
  const std::string response = raw_exchange(server_->port(),
                                            "POST /v1/detect HTTP/1.1\r\nHost: x\r\n"
                                            "Content-Type: image/jpeg\r\n"
                                            "Content-Length: 50000000\r\n\r\n",
                                            std::chrono::milliseconds(3000), &closed);
  EXPECT_EQ(status_of(response), 413) << response;
  EXPECT_TRUE(json::parse(body_of(response), nullptr, false).contains("error")) << response;
  EXPECT_TRUE(closed) << "the connection should be closed after refusing an unread body";

  // Chunked bodies have no declared length: they are counted while read.
  std::string chunked = "POST /v1/detect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(256 * 1024, 'x');
  for (int i = 0; i < 36; ++i) chunked += "40000\r\n" + chunk + "\r\n";
  chunked += "0\r\n\r\n";
  const std::string response2 = raw_exchange(server_->port(), chunked);
  EXPECT_EQ(status_of(response2), 413) << response2.substr(0, 200);
  expect_ready();
}

// A client that stops sending mid-request is disconnected after --timeout-s (1 s here).
TEST_F(ServeTest, SlowClientTimesOut) {
  const auto t0 = Clock::now();
  bool closed = false;
  raw_exchange(server_->port(), "POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Le",
               std::chrono::milliseconds(5000), &closed);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_TRUE(closed) << "the server kept a stalled connection open";
  EXPECT_LT(s, 4.0);
  expect_ready();
}

// 32 clients at once, each posting the dog photo twice to the dynamic-batch model: every answer
// equals the one-at-a-time answer, and the batcher ran batches of more than one image.
TEST_F(ServeTest, ServeConcurrencyThirtyTwoClients) {
  auto c = client();
  auto single = c.Post("/v1/models/nano_dyn/detect?conf=0.1", dog(), "image/jpeg");
  ASSERT_TRUE(single);
  ASSERT_EQ(single->status, 200);
  const json expected = json::parse(single->body);
  ASSERT_FALSE(expected["detections"].empty());

  constexpr int kClients = 32, kEach = 2;
  const std::string photo = dog();
  std::atomic<int> ok{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t)
    threads.emplace_back([&] {
      auto cc = client();
      for (int i = 0; i < kEach; ++i) {
        auto r = cc.Post("/v1/models/nano_dyn/detect?conf=0.1", photo, "image/jpeg");
        if (r && r->status == 200 && json::parse(r->body) == expected)
          ++ok;
        else
          ++wrong;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients * kEach);
  EXPECT_EQ(wrong.load(), 0);

  // Some Run took more than one image.
  const std::string metrics = server_->metrics_text();
  const std::string one = "yoloxrt_batch_size_bucket{model=\"nano_dyn\",le=\"1\"} ";
  const std::string all = "yoloxrt_batch_size_count{model=\"nano_dyn\"} ";
  const auto at_one = metrics.find(one), at_all = metrics.find(all);
  ASSERT_NE(at_one, std::string::npos) << metrics;
  ASSERT_NE(at_all, std::string::npos) << metrics;
  const long runs_of_one = std::stol(metrics.substr(at_one + one.size()));
  const long runs = std::stol(metrics.substr(at_all + all.size()));
  EXPECT_LT(runs_of_one, runs) << "no Run batched more than one image:\n" << metrics;
  EXPECT_LT(runs, 1 + kClients * kEach) << "fewer Runs than images expected";
}

// A full queue answers 503 with Retry-After. Queue of 2, batches of 8 that wait 800 ms for
// company: while the first two requests wait, a third finds the queue full.
TEST(ServeQueue, FullQueueAnswers503WithRetryAfter) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  testing::TempDir tmp;
  export_checkpoint(fx / "megvii-nano" / "yolox_nano.pth", tmp / "nano_dyn.onnx", {}, nullptr);
  ServerOptions o;
  o.models = {tmp / "nano_dyn.onnx"};
  o.port = 0;
  o.detector.threads = 1;
  o.max_batch = 8;
  o.max_queue = 2;
  o.max_queue_delay_ms = 800;
  auto server = Server::start(o);
  const std::string photo = read_text(fx / "megvii-nano" / "dog.jpg");
  auto post = [&] {
    httplib::Client c("127.0.0.1", server->port());
    c.set_read_timeout(30, 0);
    auto r = c.Post("/v1/detect", photo, "image/jpeg");
    return r ? std::make_pair(r->status, r->get_header_value("Retry-After"))
             : std::make_pair(-1, std::string());
  };
  auto a = std::async(std::launch::async, post);
  auto b = std::async(std::launch::async, post);
  // Wait until both are queued.
  for (int i = 0; i < 400 && server->metrics_text().find(
                                 "yoloxrt_queue_depth{model=\"nano_dyn\"} 2") == std::string::npos;
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const auto third = post();
  EXPECT_EQ(third.first, 503);
  EXPECT_EQ(third.second, "1");
  EXPECT_EQ(a.get().first, 200);
  EXPECT_EQ(b.get().first, 200);
}

// SIGTERM on the CLI: a request in flight is answered, then the process exits 0 within 5 s.
TEST(ServeShutdown, SigtermFinishesInFlightAndExitsZero) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  testing::TempDir tmp;
  export_checkpoint(fx / "megvii-nano" / "yolox_nano.pth", tmp / "nano_dyn.onnx", {}, nullptr);
  int err_pipe[2];
  ASSERT_EQ(::pipe(err_pipe), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
  const std::string cli = testing::cli_path();
  const std::string model = (tmp / "nano_dyn.onnx").string();
  // The in-flight request waits 1.5 s in the batcher for company that never comes.
  std::vector<std::string> args = {
      cli, "serve", model, "--port", "0", "--threads", "1", "--max-queue-delay-ms", "1500"};
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, cli.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(err_pipe[1]);

  // "yoloxrt serve: listening on http://127.0.0.1:PORT (models: ...)"
  std::string err;
  int port = 0;
  const auto start = Clock::now();
  while (port == 0 && Clock::now() - start < std::chrono::seconds(60)) {
    char buf[256];
    const ssize_t n = ::read(err_pipe[0], buf, sizeof buf);
    if (n <= 0) break;
    err.append(buf, static_cast<size_t>(n));
    const auto at = err.find("127.0.0.1:");
    if (at != std::string::npos && err.find(' ', at) != std::string::npos)
      port = std::atoi(err.c_str() + at + 10);
  }
  ASSERT_GT(port, 0) << err;

  const std::string photo = read_text(fx / "megvii-nano" / "dog.jpg");
  auto in_flight = std::async(std::launch::async, [&] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30, 0);
    auto r = c.Post("/v1/detect", photo, "image/jpeg");
    return r ? r->status : -1;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const auto term = Clock::now();
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  const double seconds = std::chrono::duration<double>(Clock::now() - term).count();
  ::close(err_pipe[0]);
  EXPECT_EQ(in_flight.get(), 200) << "the request in flight was not answered";
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_LT(seconds, 5.0);
  EXPECT_GT(seconds, 0.5) << "exited before the request in flight could finish";
}

}  // namespace
}  // namespace yoloxrt
