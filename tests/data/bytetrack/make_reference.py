#!/usr/bin/python3
"""Regenerates the reference tracks in this folder with ByteTrack's own tracker.

Not run by any test or CI step: the tests only read the .txt files it wrote. It needs checkouts of
ifzhang/ByteTrack and gatagat/lap (outside the repository), numpy and a C++ compiler:

  tests/data/bytetrack/make_reference.py --bytetrack /work/ref/ByteTrack --lap /work/ref/lap \
      --detections ../shared/fixtures/bytetrack-mot17-01/detections.txt --out tests/data/bytetrack

ByteTrack's byte_tracker.py, kalman_filter.py and matching.py run unmodified. What it imports and
is not installed here is stood in for: `lap.lapjv` pads the matrix as lap's _lapjv.pyx does and
calls lap's own C++ lapjv_internal (compiled from the lap checkout); `cython_bbox.bbox_overlaps`
is the same +1-pixel arithmetic in float64; scipy's cho_factor/cho_solve use numpy's Cholesky and
solver (last-bit differences only); np.float is restored as float (removed in numpy 1.24).
The script first reproduces the fixture's expected/tracks_default.txt byte for byte, and refuses
to write anything if it does not.
"""
import argparse
import ctypes
import importlib.util
import os
import subprocess
import sys
import tempfile
import types

import numpy as np

# name, track_thresh, match_thresh, track_buffer, frame_rate, mot20
CASES = [
    ("tracks_buffer10.txt", 0.5, 0.8, 10, 30, False),
    ("tracks_fps15.txt", 0.5, 0.8, 30, 15, False),
    ("tracks_match0.6.txt", 0.5, 0.6, 30, 30, False),
    ("tracks_match0.9.txt", 0.5, 0.9, 30, 30, False),
    ("tracks_mot20_thresh0.4.txt", 0.4, 0.8, 30, 30, True),
    ("tracks_thresh0.25_match0.7_buffer5.txt", 0.25, 0.7, 5, 30, False),
]

LAP_WRAPPER = r"""
#include <cstddef>
#include "lapjv.h"
extern "C" int lapjv_flat(unsigned n, double* flat, int* x, int* y) {
  double** rows = new double*[n];
  for (unsigned i = 0; i < n; ++i) rows[i] = flat + static_cast<size_t>(i) * n;
  int r = lapjv_internal(n, rows, x, y);
  delete[] rows;
  return r;
}
"""


def build_lap(lap_dir, tmp):
    src = os.path.join(lap_dir, "_lapjv_cpp")
    if not os.path.exists(os.path.join(src, "lapjv.cpp")):
        src = os.path.join(lap_dir, "_lapjv_src")
    wrapper = os.path.join(tmp, "wrap.cpp")
    with open(wrapper, "w") as f:
        f.write(LAP_WRAPPER)
    so = os.path.join(tmp, "liblapjv.so")
    subprocess.check_call(["g++", "-O2", "-shared", "-fPIC", "-I", src, wrapper,
                           os.path.join(src, "lapjv.cpp"), "-o", so])
    return ctypes.CDLL(so)


def install_stand_ins(lib):
    p_double = ctypes.POINTER(ctypes.c_double)
    p_int = ctypes.POINTER(ctypes.c_int)

    def lapjv(cost, extend_cost=False, cost_limit=np.inf, return_cost=True):
        cost = np.ascontiguousarray(cost, dtype=np.double)
        nr, nc = cost.shape
        if cost_limit < np.inf:
            n = nr + nc
            c = np.empty((n, n), dtype=np.double)
            c[:] = cost_limit / 2.
            c[nr:, nc:] = 0
            c[:nr, :nc] = cost
        elif extend_cost:
            n = max(nr, nc)
            c = np.zeros((n, n), dtype=np.double)
            c[:nr, :nc] = cost
        else:
            n, c = nr, cost
        c = np.ascontiguousarray(c)
        x = np.empty(n, dtype=np.int32)
        y = np.empty(n, dtype=np.int32)
        assert lib.lapjv_flat(ctypes.c_uint(n), c.ctypes.data_as(p_double),
                              x.ctypes.data_as(p_int), y.ctypes.data_as(p_int)) == 0
        if cost_limit < np.inf or extend_cost:
            x[x >= nc] = -1
            y[y >= nr] = -1
            x, y = x[:nr], y[:nc]
        return 0.0, x, y

    def bbox_overlaps(boxes, query_boxes):
        out = np.zeros((boxes.shape[0], query_boxes.shape[0]), dtype=np.float64)
        for k in range(query_boxes.shape[0]):
            q = query_boxes[k]
            box_area = (q[2] - q[0] + 1) * (q[3] - q[1] + 1)
            for n in range(boxes.shape[0]):
                b = boxes[n]
                iw = min(b[2], q[2]) - max(b[0], q[0]) + 1
                if iw > 0:
                    ih = min(b[3], q[3]) - max(b[1], q[1]) + 1
                    if ih > 0:
                        ua = float((b[2] - b[0] + 1) * (b[3] - b[1] + 1) + box_area - iw * ih)
                        out[n, k] = iw * ih / ua
        return out

    def cho_factor(a, lower=False, check_finite=True):
        return np.linalg.cholesky(a), True

    def cho_solve(c_and_lower, b, check_finite=True):
        low = c_and_lower[0]
        return np.linalg.solve(low.T, np.linalg.solve(low, b))

    def module(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m
        return m

    module("lap", lapjv=lapjv)
    module("cython_bbox", bbox_overlaps=bbox_overlaps)
    module("cv2")
    linalg = module("scipy.linalg", cho_factor=cho_factor, cho_solve=cho_solve)
    sparse = module("scipy.sparse")
    def cdist(*args, **kwargs):
        raise NotImplementedError("not used by BYTETracker")

    distance = module("scipy.spatial.distance", cdist=cdist)
    spatial = module("scipy.spatial", distance=distance)
    module("scipy", linalg=linalg, sparse=sparse, spatial=spatial)
    np.float = float


def load_bytetrack(root):
    tracker_dir = os.path.join(root, "yolox", "tracker")
    pkg = types.ModuleType("yolox")
    pkg.__path__ = []
    sys.modules["yolox"] = pkg
    tpkg = types.ModuleType("yolox.tracker")
    tpkg.__path__ = [tracker_dir]
    sys.modules["yolox.tracker"] = tpkg

    def load(name, file):
        spec = importlib.util.spec_from_file_location(name, os.path.join(tracker_dir, file))
        m = importlib.util.module_from_spec(spec)
        sys.modules[name] = m
        spec.loader.exec_module(m)
        setattr(tpkg, name.rsplit(".", 1)[1], m)
        return m

    load("yolox.tracker.kalman_filter", "kalman_filter.py")
    load("yolox.tracker.matching", "matching.py")
    load("yolox.tracker.basetrack", "basetrack.py")
    return load("yolox.tracker.byte_tracker", "byte_tracker.py")


def run(bytetrack, rows, track_thresh, match_thresh, track_buffer, frame_rate, mot20):
    class Args:
        pass
    a = Args()
    a.track_thresh, a.match_thresh, a.track_buffer, a.mot20 = (
        track_thresh, match_thresh, track_buffer, mot20)
    bytetrack.BaseTrack._count = 0  # ids from 1 for each run
    tracker = bytetrack.BYTETracker(a, frame_rate=frame_rate)
    # The fixture's frames are 420x240 and are fed at their own size (no rescale).
    h, w = 240, 420
    lines = []
    for frame in range(1, int(rows[:, 0].max()) + 1):
        r = rows[rows[:, 0] == frame]
        d = np.zeros((len(r), 5), dtype=np.float64)
        d[:, 0], d[:, 1] = r[:, 2], r[:, 3]
        d[:, 2], d[:, 3] = r[:, 2] + r[:, 4], r[:, 3] + r[:, 5]
        d[:, 4] = r[:, 6]
        for t in tracker.update(d, [h, w], (h, w)):
            x, y, tw, th = t.tlwh
            lines.append("%d,%d,%.4f,%.4f,%.4f,%.4f,%.6f,-1,-1,-1"
                         % (frame, t.track_id, x, y, tw, th, t.score))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bytetrack", required=True)
    ap.add_argument("--lap", required=True)
    ap.add_argument("--detections", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        install_stand_ins(build_lap(args.lap, tmp))
        bytetrack = load_bytetrack(args.bytetrack)
        rows = np.loadtxt(args.detections, delimiter=",", dtype=np.float64)
        expected = os.path.join(os.path.dirname(args.detections), "expected", "tracks_default.txt")
        if run(bytetrack, rows, 0.5, 0.8, 30, 30, False) != open(expected).read():
            sys.exit("the stand-ins do not reproduce " + expected + "; nothing written")
        for name, *params in CASES:
            with open(os.path.join(args.out, name), "w") as f:
                f.write(run(bytetrack, rows, *params))
            print("wrote", name)


if __name__ == "__main__":
    main()
