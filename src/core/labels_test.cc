// Tests of labels files and the one colormap parser behind them.
#include "yoloxrt/labels.h"

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "yoloxrt/checkpoint_folder.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"

namespace yoloxrt {
namespace {

using Rgb = std::array<uint8_t, 3>;

TEST(ParseLabels, PlainListIgnoresBlankLinesAndTrailingSpace) {
  const LabelSet l = parse_labels("cat\ndog \r\n\nbird");
  EXPECT_EQ(l.names, (std::vector<std::string>{"cat", "dog", "bird"}));
  EXPECT_TRUE(l.colors.empty());
  EXPECT_THROW(parse_labels(" \n\n"), Error);
}

TEST(ParseLabels, ColormapColoursOnTheUnitScale) {
  const LabelSet l = parse_labels(
      R"( {"items":[{"label":"call","color":[1.0,0.5,0.0]},{"label":"no","color":[0,0,1]}]})");
  EXPECT_EQ(l.names, (std::vector<std::string>{"call", "no"}));
  ASSERT_EQ(l.colors.size(), 2u);
  EXPECT_EQ(l.colors[0], (Rgb{255, 128, 0}));
  EXPECT_EQ(l.colors[1], (Rgb{0, 0, 255}));
}

// The drift this parser fixed: `detect --labels` clamped 0..255 colours to 0..1 (so [200, 100, 0]
// became [255, 255, 0]) while `export` read them as 0..255.
TEST(ParseLabels, IntegerColoursAreReadAsExportReadsThem) {
  const std::string text =
      R"({"items":[{"label":"a","color":[200,100,0]},{"label":"b","color":[300,-5,7]}]})";
  const LabelSet l = parse_labels(text);
  ASSERT_EQ(l.colors.size(), 2u);
  EXPECT_EQ(l.colors[0], (Rgb{200, 100, 0}));
  EXPECT_EQ(l.colors[1], (Rgb{255, 0, 7}));
  const ColorMap cm = parse_colormap(text);
  EXPECT_EQ(cm.names, l.names);
  EXPECT_EQ(cm.colors, l.colors);
}

TEST(ParseLabels, ColoursAreAllOrNothing) {
  const LabelSet none = parse_labels(R"({"items":[{"label":"a"},{"label":"b"}]})");
  EXPECT_EQ(none.names.size(), 2u);
  EXPECT_TRUE(none.colors.empty());
  for (const char* mixed : {R"({"items":[{"label":"a","color":[1,0,0]},{"label":"b"}]})",
                            R"({"items":[{"label":"a"},{"label":"b","color":[1,0,0]}]})"}) {
    try {
      parse_labels(mixed);
      ADD_FAILURE() << "expected an error for " << mixed;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
      EXPECT_NE(e.message().find("colormap item 1"), std::string::npos) << e.message();
    }
  }
}

TEST(ReadLabelsFile, MalformedJsonIsCorruptAndNamesTheFile) {
  testing::TempDir tmp;
  write_file_atomic(tmp / "bad.json", R"({"items": 3})");
  try {
    read_labels_file(tmp / "bad.json");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCorrupt);
    EXPECT_EQ(e.file(), (tmp / "bad.json").string());
  }
  EXPECT_THROW(read_labels_file(tmp / "missing.txt"), Error);
}

}  // namespace
}  // namespace yoloxrt
