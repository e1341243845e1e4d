// yoloxrt/model_compare.h - run two ONNX models on the same random inputs and compare the outputs.
//
// Used to verify that a rewritten model (simplified, re-exported) computes what the original did.
// Runs ONNX Runtime on the CPU, 1 thread, with graph optimisation disabled so the comparison sees
// the graphs as written.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace yoloxrt {

// The concrete shape to feed one input with.
struct InputShape {
  std::string name;
  std::vector<int64_t> dims;  // all >= 0
};

struct OutputDiff {
  std::string name;
  std::vector<int64_t> shape;  // model A's output shape on the last run
  double max_abs_diff = 0;     // max over runs and elements of |a - b|
  double max_abs_ref = 0;      // max over runs and elements of |a|
  // max_abs_diff / max(max_abs_ref, 1e-30): the error relative to the output's magnitude.
  double rel_diff = 0;
};

struct CompareResult {
  std::vector<OutputDiff> outputs;  // in model A's output order
  double worst_rel_diff = 0;        // max over outputs of rel_diff
  double worst_abs_diff = 0;
};

// Runs model A and model B `runs` times on identical random inputs and compares every output of A
// with B's output of the same name. Inputs: float/double uniform in [0, 1), integer inputs 0,
// bool false; the generator is seeded with `seed`, so results are reproducible. Every input of A
// must be listed in `shapes`.
// Throws Error(kRuntime) if ONNX Runtime fails to load or run either model, Error(kMismatch) if the
// models' outputs differ in names, element types or shapes, Error(kInvalidArgument) if an input
// shape is missing, Error(kUnsupported) for non-numeric inputs/outputs.
CompareResult compare_models(std::string_view model_a, std::string_view model_b,
                             const std::vector<InputShape>& shapes, int runs, uint64_t seed);

}  // namespace yoloxrt
