// Detects objects in one image with an exported YOLOX model, using the installed yoloxrt library.
//   detect_one MODEL.onnx IMAGE
#include <cstdio>

#include <yoloxrt/detector.h>
#include <yoloxrt/error.h>

int main(int argc, char** argv) {
  if (argc != 3) return std::fprintf(stderr, "usage: %s MODEL.onnx IMAGE\n", argv[0]), 2;
  try {
    auto detector = yoloxrt::Detector::open(argv[1]);
    const yoloxrt::ImageBuffer image = yoloxrt::load_image(argv[2]);
    for (const yoloxrt::Detection& d : detector->detect(image.view())) {
      const auto& names = detector->metadata().class_names;
      std::printf("%s %.3f [%.1f, %.1f, %.1f, %.1f]\n", names.at(d.class_id).c_str(), d.score,
                  d.box.x1, d.box.y1, d.box.x2, d.box.y2);
    }
  } catch (const yoloxrt::Error& e) {
    return std::fprintf(stderr, "%s\n", e.what()), yoloxrt::exit_code_for(e.kind());
  }
  return 0;
}
