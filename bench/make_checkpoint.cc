// Writes a random-weight checkpoint folder for benchmarks: <dir>/<type>.pth (+ colormap, norm
// stats).
//   make_checkpoint DIR yolox_s [cjm|megvii] [num_classes]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "export/test_checkpoints.h"
#include "yoloxrt/error.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_checkpoint DIR MODEL_TYPE [cjm|megvii] [NUM_CLASSES]\n");
    return 2;
  }
  try {
    const std::filesystem::path dir = argv[1];
    auto arch = yoloxrt::exporter::architecture_for_type(argv[2]);
    if (!arch) throw yoloxrt::Error(yoloxrt::ErrorKind::kInvalidArgument, "unknown model type");
    const auto family = argc > 3 ? yoloxrt::parse_family(argv[3]) : yoloxrt::Family::kCjm;
    arch->num_classes = argc > 4 ? std::atoi(argv[4]) : 80;
    std::filesystem::create_directories(dir);
    yoloxrt::testing::write_random_checkpoint(dir, argv[2], *arch, family, 42);
    if (family == yoloxrt::Family::kCjm) {
      std::string items;
      for (int i = 0; i < arch->num_classes; ++i)
        items += (i ? "," : "") + std::string("{\"label\":\"c") + std::to_string(i) +
                 "\",\"color\":[0.5,0.25,1.0]}";
      yoloxrt::write_file_atomic(dir / "bench-colormap.json", "{\"items\":[" + items + "]}");
      yoloxrt::write_file_atomic(dir / "norm_stats.json",
                                 R"({"mean":[0.5,0.5,0.5],"std_dev":[1.0,1.0,1.0]})");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_checkpoint: %s\n", e.what());
    return 1;
  }
  return 0;
}
