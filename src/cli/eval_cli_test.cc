// End-to-end tests of `yoloxrt eval`: the fixture's pycocotools numbers from its results file,
// the model form on the 64 COCO photos, and bad input (exit code, message naming the file and the
// entry, no output written).
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const char* kStatNames[] = {"AP",  "AP50", "AP75",  "APs", "APm", "APl",
                            "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};

TEST(EvalCli, DetectionsFileReproducesPycocotools) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path coco = fx / "coco-val2017";
  TempDir tmp;
  const auto r =
      run_command(cli_path() + " eval --detections " + q(coco / "detections_nano_fp32.json") +
                  " --annotations " + q(coco / "instances.json") + " --json " + q(tmp / "m.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json ref = json::parse(slurp(coco / "metrics_nano_fp32_pycocotools.json"));
  const json got = json::parse(slurp(tmp / "m.json"));
  for (const char* name : kStatNames)
    EXPECT_NEAR(got["metrics"][name].get<double>(), ref["stats"][name].get<double>(), 1e-4) << name;
  EXPECT_EQ(got["images"], 64);
  ASSERT_EQ(got["per_class"].size(), 80u);
  EXPECT_EQ(got["per_class"][0]["name"], "person");
  EXPECT_GT(got["per_class"][0]["gt_count"].get<int>(), 0);
  EXPECT_EQ(got["settings"]["detections"], (coco / "detections_nano_fp32.json").string());
  // The summary on stdout is pycocotools' text.
  for (const auto& line : ref["summary"])
    EXPECT_NE(r.out.find(line.get<std::string>() + "\n"), std::string::npos) << line;
}

TEST(EvalCli, ModelFormSavesDetectionsThatReevaluateIdentically) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  const fs::path coco = fx / "coco-val2017";
  TempDir tmp;
  // The fixture's results were made with YOLOX's settings and no per-image cap: --max-det 0.
  const auto r = run_command(cli_path() + " eval " + q(fx / "megvii-nano" / "yolox_nano.onnx") +
                             " " + q(coco / "images") + " --annotations " +
                             q(coco / "instances.json") + " --max-det 0 --threads 2 -q --json " +
                             q(tmp / "model.json") + " --save-detections " + q(tmp / "dets.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json model = json::parse(slurp(tmp / "model.json"));
  EXPECT_EQ(model["settings"]["category_mapping"], "name");
  EXPECT_NEAR(model["settings"]["conf"].get<double>(), 0.001, 1e-9);
  EXPECT_EQ(model["settings"]["per_class_nms"], true);
  // Same model and settings as the fixture's results; only the resize implementation differs.
  const json ref = json::parse(slurp(coco / "metrics_nano_fp32_pycocotools.json"));
  EXPECT_NEAR(model["metrics"]["AP"].get<double>(), ref["stats"]["AP"].get<double>(), 0.003);
  EXPECT_NEAR(model["metrics"]["AP50"].get<double>(), ref["stats"]["AP50"].get<double>(), 0.003);

  const auto again = run_command(cli_path() + " eval --detections " + q(tmp / "dets.json") +
                                 " --annotations " + q(coco / "instances.json") + " --json -");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const json reread = json::parse(again.out);
  EXPECT_EQ(reread["metrics"], model["metrics"]);
  EXPECT_EQ(reread["per_class"], model["per_class"]);
}

// --- bad input
// -------------------------------------------------------------------------------------

constexpr const char* kGt =
    R"({"images": [{"id": 1, "file_name": "a.jpg"}, {"id": 2, "file_name": "b.jpg"}],
  "categories": [{"id": 1, "name": "person"}],
  "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10],
                   "area": 100}]})";
constexpr const char* kGoodDet =
    R"({"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9})";

struct BadRow {
  const char* name;
  std::string gt;       // written to gt.json
  std::string results;  // written to res.json
  int exit_code;
  std::vector<std::string> messages;  // each must appear in stderr
};

class EvalCliBadInput : public ::testing::TestWithParam<BadRow> {};

TEST_P(EvalCliBadInput, ExitCodeMessageAndNoOutput) {
  const BadRow& row = GetParam();
  TempDir tmp;
  write_file_atomic(tmp / "gt.json", row.gt);
  write_file_atomic(tmp / "res.json", row.results);
  const auto r =
      run_command(cli_path() + " eval --detections " + q(tmp / "res.json") + " --annotations " +
                  q(tmp / "gt.json") + " --json " + q(tmp / "m.json"));
  EXPECT_EQ(r.exit_code, row.exit_code) << r.err;
  for (const std::string& m : row.messages) EXPECT_NE(r.err.find(m), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "m.json"));
  EXPECT_TRUE(r.out.empty()) << r.out;
}

std::string list(const std::string& second) {
  return std::string("[") + kGoodDet + ", " + second + "]";
}

INSTANTIATE_TEST_SUITE_P(
    Rows, EvalCliBadInput,
    ::testing::Values(
        BadRow{"UnknownImageId",
               kGt,
               list(R"({"image_id": 999, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5})"),
               4,
               {"res.json", "detection 1 (image_id 999)", "not an image of the ground truth"}},
        BadRow{"NaNScore",
               kGt,
               list(R"({"image_id": 2, "category_id": 1, "bbox": [0, 0, 1, 1], "score": NaN})"),
               4,
               {"res.json", "detection 1 (image_id 2)"}},
        BadRow{"NegativeWidth",
               kGt,
               list(R"({"image_id": 2, "category_id": 1, "bbox": [5, 5, -3, 1], "score": 0.5})"),
               4,
               {"res.json", "detection 1 (image_id 2)", "negative width"}},
        BadRow{"HugeNumberIsNotFinite",
               kGt,
               list(R"({"image_id": 2, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1e999})"),
               4,
               {"res.json", "detection 1"}},
        BadRow{"ResultsNotAList",
               kGt,
               R"({"annotations": []})",
               4,
               {"res.json", "not a COCO results file"}},
        BadRow{"ResultsEntryMissesScore",
               kGt,
               list(R"({"image_id": 2, "category_id": 1, "bbox": [0, 0, 1, 1]})"),
               4,
               {"res.json", "detection 1 (image_id 2)", "no \"score\""}},
        BadRow{"GroundTruthIsAResultsFile",
               std::string("[") + kGoodDet + "]",
               "[]",
               4,
               {"gt.json", "not a COCO instances file"}},
        BadRow{"GroundTruthAnnotationOnUnknownImage",
               R"({"images": [{"id": 1, "file_name": "a.jpg"}], "categories": [{"id": 1}],
                   "annotations": [{"id": 7, "image_id": 3, "category_id": 1,
                                    "bbox": [0, 0, 1, 1]}]})",
               "[]",
               4,
               {"gt.json", "annotations[0] (id 7)", "image_id 3"}},
        BadRow{"GroundTruthTruncated",
               std::string(kGt).substr(0, 60),
               "[]",
               4,
               {"gt.json", "malformed JSON"}}),
    [](const ::testing::TestParamInfo<BadRow>& info) { return std::string(info.param.name); });

TEST(EvalCli, MissingImageIsNamedBeforeTheModelRuns) {
  YOLOXRT_REQUIRE_FIXTURES(fx);
  TempDir tmp;
  write_file_atomic(tmp / "gt.json", kGt);
  fs::create_directories(tmp / "imgs");
  const auto r =
      run_command(cli_path() + " eval " + q(fx / "megvii-nano" / "yolox_nano.onnx") + " " +
                  q(tmp / "imgs") + " --annotations " + q(tmp / "gt.json") + " --json " +
                  q(tmp / "m.json") + " --save-detections " + q(tmp / "d.json"));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("a.jpg"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("image id 1"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "m.json"));
  EXPECT_FALSE(fs::exists(tmp / "d.json"));
}

TEST(EvalCli, RefusesAmbiguousFormsAndOverwritingInputs) {
  TempDir tmp;
  write_file_atomic(tmp / "gt.json", kGt);
  write_file_atomic(tmp / "res.json", "[]");
  const std::string base = cli_path() + " eval --annotations " + q(tmp / "gt.json");
  EXPECT_EQ(run_command(base).exit_code, 2);  // neither form
  EXPECT_EQ(run_command(base + " model.onnx imgs --detections " + q(tmp / "res.json")).exit_code,
            2);  // both
  const auto over =
      run_command(base + " --detections " + q(tmp / "res.json") + " --json " + q(tmp / "gt.json"));
  EXPECT_EQ(over.exit_code, 6) << over.err;
  EXPECT_EQ(slurp(tmp / "gt.json"), kGt);
  // An empty results list is valid: every category with GT scores 0.
  const auto empty = run_command(base + " --detections " + q(tmp / "res.json") + " --json -");
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(json::parse(empty.out)["metrics"]["AP"], 0.0);
  EXPECT_EQ(json::parse(empty.out)["metrics"]["APm"], -1.0);
}

}  // namespace
}  // namespace yoloxrt::testing
