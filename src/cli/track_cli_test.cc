// `yoloxrt track`: replay of the fixture's detections (exact to ByteTrack), a short run of the
// model on the fixture video (annotated video, MOT and JSON), the same outputs whatever the
// pipeline's threads, batch and in-flight bound, and bad inputs.
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "yoloxrt/file_io.h"
#include "yoloxrt/image.h"
#include "yoloxrt/video.h"

namespace yoloxrt::testing {
namespace {
namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  const std::vector<uint8_t> bytes = read_file_bytes(p);
  return std::string(bytes.begin(), bytes.end());
}

std::string q(const fs::path& p) {
  std::string s = "'";  // appended, not "'" + string: GCC 12's -Wrestrict false positive
  s += p.string();
  return s += "'";
}

TEST(TrackCli, ReplayWritesByteTracksTracksByteForByte) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  const fs::path dir = fx / "bytetrack-mot17-01";
  const auto r = run_command(cli_path() + " track -q --detections " + q(dir / "detections.txt") +
                             " --mot " + q(tmp / "t.txt") + " --track-thresh 0.25");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(slurp(tmp / "t.txt"), slurp(dir / "expected" / "tracks_thresh0.25.txt"));
}

TEST(TrackCli, ModelOnVideoWritesAnnotatedVideoMotAndJson) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  const auto r = run_command(cli_path() + " track " + q(fx / "megvii-nano" / "yolox_nano.onnx") +
                             " " + q(fx / "bytetrack-mot17-01" / "mot17-01-sdp.mp4") +
                             " -q --max-frames 12 --threads 1" +
                             " --classes person --trail 5 --track-thresh 0.3 -o " + q(tmp / "out") +
                             " --mot " + q(tmp / "t.txt") + " --json " + q(tmp / "t.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // JSON: one record per frame, each track with its id; ids in the MOT file are the same.
  std::ifstream in(tmp / "t.json");
  const auto j = nlohmann::json::parse(in);
  ASSERT_EQ(j.size(), 12u);
  std::set<int> json_ids;
  for (size_t i = 0; i < j.size(); ++i) {
    EXPECT_EQ(j[i]["frame"], i);
    EXPECT_EQ(j[i]["width"], 420);
    for (const auto& t : j[i]["detections"]) {
      EXPECT_EQ(t["label"], "person");
      json_ids.insert(t["track_id"].get<int>());
    }
  }
  EXPECT_FALSE(json_ids.empty()) << "no track in 12 frames";
  std::set<int> mot_ids;
  std::istringstream mot(slurp(tmp / "t.txt"));
  std::string line;
  size_t rows = 0;
  while (std::getline(mot, line)) {
    ++rows;
    const int frame = std::stoi(line);
    EXPECT_GE(frame, 1);
    EXPECT_LE(frame, 12);
    mot_ids.insert(std::stoi(line.substr(line.find(',') + 1)));
  }
  EXPECT_EQ(mot_ids, json_ids);
  EXPECT_GT(rows, 0u);
  auto reader = VideoReader::open(tmp / "out" / "mot17-01-sdp.mp4");
  ImageBuffer frame;
  int n = 0;
  while (reader->read(frame)) ++n;
  EXPECT_EQ(n, 12);
  EXPECT_EQ(frame.width(), 420);
}

// Frames are detected ahead on the pipeline's threads and tracked in order: the outputs must not
// depend on how many threads decode, how many frames are in flight or how they are batched.
TEST(TrackCli, OutputsDoNotDependOnPipelineSettings) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  const fs::path video = fx / "bytetrack-mot17-01" / "mot17-01-sdp.mp4";
  // A folder of frames (PNG) cut from the video, for the decode threads.
  {
    auto reader = VideoReader::open(video);
    ImageBuffer frame;
    fs::create_directories(tmp / "frames");
    for (int i = 0; i < 10 && reader->read(frame); ++i)
      save_image(tmp / "frames" / (std::to_string(100 + i) + ".png"), frame.view());
  }
  const fs::path model = fx / "megvii-nano" / "yolox_nano.onnx";
  struct Outputs {
    std::string mot, json, frame5;
  };
  auto run = [&](const fs::path& input, const std::string& flags, const std::string& name) {
    const fs::path out = tmp / name;
    fs::create_directories(out);
    const auto r =
        run_command(cli_path() + " track -q " + q(model) + " " + q(input) +
                    " --max-frames 10 --trail 3 --track-thresh 0.3 -o " + q(out / "annotated") +
                    " --mot " + q(out / "t.txt") + " --json " + q(out / "t.json") + " " + flags);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Outputs o{slurp(out / "t.txt"), slurp(out / "t.json"), {}};
    if (fs::is_directory(out / "annotated" / "frames"))
      o.frame5 = slurp(out / "annotated" / "frames" / "105.png");
    return o;
  };
  const std::string one = "--threads 1 --io-threads 1 --in-flight 1";
  const std::string many = "--threads 2 --io-threads 3 --in-flight 7 --batch 2";
  const Outputs v1 = run(video, one, "v1"), v2 = run(video, many, "v2");
  EXPECT_FALSE(v1.mot.empty());
  EXPECT_EQ(v1.mot, v2.mot);
  EXPECT_EQ(v1.json, v2.json);
  const Outputs f1 = run(tmp / "frames", one, "f1"), f2 = run(tmp / "frames", many, "f2");
  EXPECT_FALSE(f1.mot.empty());
  EXPECT_FALSE(f1.frame5.empty());
  EXPECT_EQ(f1.mot, f2.mot);
  EXPECT_EQ(f1.json, f2.json);
  EXPECT_EQ(f1.frame5, f2.frame5);  // the annotated frame, trails included
  // PNG frames of the video: the same pixels, so the same tracks as the video's.
  EXPECT_EQ(f1.mot, v1.mot);
}

TEST(TrackCli, BadInputsFailClearlyAndWriteNothing) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  const std::string cli = cli_path() + " track -q";
  auto replay = [&](const std::string& text) {
    write_file_atomic(tmp / "d.txt", text);
    return run_command(cli + " --detections " + q(tmp / "d.txt") + " --mot " + q(tmp / "o.txt"));
  };
  auto r = replay("");
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("d.txt"), std::string::npos) << r.err;
  r = replay("1,-1,1,2,3,4,0.9\n1,-1,1,2,3\n");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("line 2"), std::string::npos) << r.err;
  r = replay("2,-1,1,2,3,4,0.9\n1,-1,1,2,3,4,0.9\n");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("comes after frame 2"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "o.txt"));
  r = run_command(cli + " --detections " + q(tmp / "d.txt"));  // no --mot
  EXPECT_EQ(r.exit_code, 2) << r.err;

  const fs::path model = fx / "megvii-nano" / "yolox_nano.onnx";
  r = run_command(cli + " " + q(model) + " " + q(tmp / "missing.mp4") + " --mot " +
                  q(tmp / "o.txt") + " -o " + q(tmp / "out"));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("missing.mp4"), std::string::npos) << r.err;
  // A folder whose frames change size.
  fs::create_directories(tmp / "frames");
  save_image(tmp / "frames" / "0001.png", ImageBuffer(64, 48).view());
  save_image(tmp / "frames" / "0002.png", ImageBuffer(64, 40).view());
  r = run_command(cli + " " + q(model) + " " + q(tmp / "frames") + " --mot " + q(tmp / "o.txt") +
                  " --json " + q(tmp / "o.json") + " -o " + q(tmp / "out"));
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.err.find("0002.png"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "o.txt"));
  EXPECT_FALSE(fs::exists(tmp / "o.json"));
  r = run_command(cli + " " + q(model) + " " + q(tmp / "frames") + " --classes zebra-crossing");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  // Outputs never go over an input.
  r = run_command(cli + " --detections " + q(tmp / "d.txt") + " --mot " + q(tmp / "d.txt"));
  EXPECT_EQ(r.exit_code, 6) << r.err;
}

}  // namespace
}  // namespace yoloxrt::testing
