#include <cstdio>

#include "yoloxrt/model_metadata.h"

int main() {
  std::printf("yoloxrt %s\n", yoloxrt::version_string());
  return 0;
}
