#include "cli/pipeline_flags.h"

#include "yoloxrt/error.h"

namespace yoloxrt::cli {

void add_pipeline_flags(CLI::App* cmd, PipelineFlags& flags, const char* io_threads_help,
                        bool fast_decode) {
  cmd->add_option("--batch", flags.batch,
                  "Images per ONNX Runtime Run (same-size images; models with a dynamic batch)")
      ->capture_default_str();
  cmd->add_option("--io-threads", flags.io_threads,
                  io_threads_help ? io_threads_help
                                  : "Threads decoding images (N), and drawing and writing them (N "
                                    "+ 1); 0 = automatic")
      ->capture_default_str();
  cmd->add_option("--in-flight", flags.in_flight,
                  "At most N images decoded at once (bounds memory; 0 = automatic)")
      ->capture_default_str();
  if (fast_decode)
    cmd->add_flag("--fast-decode", flags.fast_decode,
                  "Decode JPEGs >= 2x the model input at 1/2, 1/4 or 1/8 scale (faster; changes "
                  "pixels; annotated copies come out at that scale)");
}

ThreadPlan resolve_thread_plan(int intra_op_threads, const PipelineFlags& flags) {
  if (intra_op_threads < 0) throw Error(ErrorKind::kInvalidArgument, "--threads must be >= 0");
  if (flags.io_threads < 0) throw Error(ErrorKind::kInvalidArgument, "--io-threads must be >= 0");
  ThreadPlan plan = default_thread_plan();
  if (intra_op_threads > 0) plan.intra_op_threads = intra_op_threads;
  if (flags.io_threads > 0) {
    plan.decode_threads = flags.io_threads;
    plan.process_threads = flags.io_threads + 1;
  }
  return plan;
}

PipelineOptions pipeline_options(const PipelineFlags& flags, const ThreadPlan& plan,
                                 uint64_t max_pixels) {
  if (flags.batch < 1) throw Error(ErrorKind::kInvalidArgument, "--batch must be at least 1");
  PipelineOptions po;
  po.batch = flags.batch;
  po.decode_threads = plan.decode_threads;
  po.process_threads = plan.process_threads;
  po.fast_decode = flags.fast_decode;
  po.max_in_flight = flags.in_flight;
  po.max_pixels = max_pixels;
  return po;
}

}  // namespace yoloxrt::cli
