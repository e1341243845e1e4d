#!/usr/bin/env bash
# Installs everything yoloxrt needs to build and test on Debian 12. Idempotent.
#
#   scripts/setup.sh            Debian packages + ONNX Runtime into third_party/onnxruntime
#   scripts/setup.sh --fuzz     also clang and libFuzzer's runtime (libclang-rt-14-dev), for
#                               scripts/fuzz.sh
#   scripts/setup.sh --reference  also Debian's python3-torch/numpy/pil: the Python reference that
#                               a few tests compare against (e.g. torch.load of converted
#                               checkpoints); those tests skip, saying so, without it
#   YOLOXRT_SKIP_APT=1 ...      skip the apt-get step (packages already present)
#
# ONNX Runtime 1.29.0 comes from the npm package com.github.asus4.onnxruntime@0.4.9, fetched with
# `npm pack` (no install scripts run) and verified by sha256 before anything is extracted.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ort_dir="${YOLOXRT_ORT_DIR:-$root/third_party/onnxruntime}"
ort_pkg="com.github.asus4.onnxruntime@0.4.9"
ort_sha256="e59788788818fdde1b2e522e766a21ba0f7d8391de55737abf81e32cc801785d"
ort_headers="package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64/onnxruntime.framework/Headers"
ort_lib="package/Plugins/Linux/x64/libonnxruntime.so"

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  libonnx-dev libprotobuf-dev protobuf-compiler
  libopencv-dev
  libjpeg62-turbo-dev
  libfreetype-dev fonts-roboto fonts-dejavu-core
  nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  libcpp-httplib-dev
  clang-format clang-tidy
)

log() { printf '[setup] %s\n' "$*" >&2; }

for arg in "$@"; do
  case "$arg" in
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    --reference) packages+=(python3-torch python3-numpy python3-pil) ;;
    *) log "unknown option $arg"; exit 2 ;;
  esac
done

if [[ "${YOLOXRT_SKIP_APT:-0}" != 1 ]]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    sudo_cmd=(); [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "Debian packages present"
  fi
fi

if ! command -v npm >/dev/null; then
  log "npm not found: installing Debian's npm"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
fi

if [[ -f "$ort_dir/.complete" ]]; then
  log "ONNX Runtime present in $ort_dir"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
log "fetching $ort_pkg with npm pack (no scripts)"
(cd "$tmp" && npm pack --ignore-scripts --silent "$ort_pkg" >/dev/null)
tgz="$(ls "$tmp"/*.tgz)"
got="$(sha256sum "$tgz" | cut -d' ' -f1)"
if [[ "$got" != "$ort_sha256" ]]; then
  log "sha256 mismatch for $tgz: expected $ort_sha256, got $got"
  exit 1
fi
mkdir -p "$tmp/x"
tar -xzf "$tgz" -C "$tmp/x" --no-same-owner "$ort_lib" "$ort_headers"
rm -rf "$ort_dir.partial"
mkdir -p "$ort_dir.partial/include" "$ort_dir.partial/lib"
cp "$tmp/x/$ort_headers"/*.h "$ort_dir.partial/include/"
cp "$tmp/x/$ort_lib" "$ort_dir.partial/lib/libonnxruntime.so.1"
ln -sf libonnxruntime.so.1 "$ort_dir.partial/lib/libonnxruntime.so"
echo "$ort_pkg $ort_sha256" >"$ort_dir.partial/.complete"
rm -rf "$ort_dir"
mv "$ort_dir.partial" "$ort_dir"
log "ONNX Runtime 1.29.0 installed in $ort_dir"
