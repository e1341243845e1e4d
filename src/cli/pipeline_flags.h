// The flags of the commands that run the detection pipeline (detect, eval, track): ONNX Runtime
// intra-op threads against the pipeline's threads, batch size, the in-flight bound and fast
// decoding, and how they become a ThreadPlan and PipelineOptions (yoloxrt/pipeline.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include <CLI/CLI.hpp>

#include "yoloxrt/pipeline.h"

namespace yoloxrt::cli {

struct PipelineFlags {
  size_t batch = 1;
  int io_threads = 0;    // 0 = default_thread_plan's
  size_t in_flight = 0;  // 0 = the pipeline's automatic bound
  bool fast_decode = false;
};

// Registers --batch, --io-threads, --in-flight and, when `fast_decode`, --fast-decode on `cmd`.
// `io_threads_help` describes what the I/O threads do in this command (nullptr: detect's text).
void add_pipeline_flags(CLI::App* cmd, PipelineFlags& flags, const char* io_threads_help = nullptr,
                        bool fast_decode = true);

// The threads a job uses: default_thread_plan(), with --threads (`intra_op_threads` > 0) and
// --io-threads (N decoding threads, N + 1 drawing/writing threads) applied.
// Throws Error(kInvalidArgument) naming the flag for negative values.
ThreadPlan resolve_thread_plan(int intra_op_threads, const PipelineFlags& flags);

// PipelineOptions from the flags and the plan. Throws Error(kInvalidArgument) for --batch 0.
PipelineOptions pipeline_options(const PipelineFlags& flags, const ThreadPlan& plan,
                                 uint64_t max_pixels);

}  // namespace yoloxrt::cli
