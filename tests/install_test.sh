#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, builds examples/ against it with
# find_package(yoloxrt), and runs the example on a fixture image when fixtures are present.
#   install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"; src="$2"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$src/examples" -B "$tmp/b" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/b" >/dev/null
test -x "$tmp/prefix/bin/yoloxrt"
"$tmp/prefix/bin/yoloxrt" --version
pkg-config --exists --print-errors "$tmp/prefix/lib/pkgconfig/yoloxrt.pc" 2>/dev/null || \
  PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --modversion yoloxrt
fx="${YOLOXRT_FIXTURES:-$src/../shared/fixtures}"
if [[ -f "$fx/megvii-nano/yolox_nano.onnx" ]]; then
  out="$("$tmp/b/detect_one" "$fx/megvii-nano/yolox_nano.onnx" "$fx/megvii-nano/dog.jpg")"
  echo "$out"
  grep -q '^dog ' <<<"$out"
else
  echo "fixtures absent: example built and installed, not run"
fi
