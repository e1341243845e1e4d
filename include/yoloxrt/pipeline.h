// yoloxrt/pipeline.h - run a Detector over many images and videos at full machine throughput.
//
// The stages of a detection job run on their own threads, connected by queues:
//
//   dispatch (input order; video frames are read here)
//     -> decode    (decode_threads: read + decode image files, then pre-process them into the
//                   model's input once the model is loaded: Detector::prepare)
//     -> infer     (infer_threads: ONNX Runtime Run + post-process, `batch` images of one input
//                   size per Run when the model's batch axis is dynamic; pre-processes the video
//                   frames and what was decoded while the model loaded)
//     -> process   (process_threads: the caller's per-item work in any order: draw, encode, write)
//     -> deliver   (the calling thread: the caller's in-order work: JSON, progress, video frames)
//
// Memory is bounded however many inputs there are: at most `max_in_flight` items (a decoded image
// or video frame each) exist between dispatch and the end of their deliver call; dispatch waits
// for a slot. Items are delivered in input order (the frames of a video in frame order), and
// their detections are exactly what Detector::detect returns for the same pixels, so a pipelined
// run gives what a sequential loop gives, for any thread counts and batch size.
//
// A failing input (missing, unreadable, corrupt, too large; a video that stops decoding) does not
// stop the run: its item carries the exception and is delivered in its place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <future>
#include <span>
#include <vector>

#include "yoloxrt/detection.h"
#include "yoloxrt/detector.h"
#include "yoloxrt/image.h"

namespace yoloxrt {

struct PipelineInput {
  std::filesystem::path path;
  bool video = false;  // frames read with VideoReader; otherwise one image file (load_image)
};

struct PipelineOptions {
  // Images per Detector::detect call. Items of one planned input size are grouped; a model whose
  // batch axis is fixed still runs them one Run each (Detector::detect does that). >= 1.
  size_t batch = 1;
  int decode_threads = 1;   // >= 1
  int infer_threads = 1;    // >= 1; each calls Detector::detect (thread-safe) concurrently
  int process_threads = 2;  // >= 1; threads calling PipelineCallbacks::process (writes wait on
                            // fsync: two overlap them)
  // Items alive at once (decoded, queued, processed or being delivered). 0 = automatic:
  // batch * infer_threads + 2 * decode_threads + process_threads: one per busy thread plus one
  // decoded ahead per decoder, so that a Run never waits for a decode in progress while the
  // process threads hold their slots (measured on 2 cores, 20 photos: wall / Run 1.16 with 4
  // slots, 1.13 with 6, 1.14 with 8; each slot costs ~9 MB for a 1280 x 1920 photo).
  size_t max_in_flight = 0;
  // Decode JPEGs at least 2x larger than the model's resized input at 1/2, 1/4 or 1/8 scale in
  // the DCT domain (decode_image_scaled): the largest reduction that still leaves the decoded
  // image at least as large as the model's resized input. Changes pixels (and so, slightly,
  // detections); detections stay in original-image pixels. Other formats and video frames are
  // decoded at full size.
  bool fast_decode = false;
  uint64_t max_pixels = kDefaultMaxImagePixels;  // refused before decoding (load_image)
};

struct PipelineItem {
  enum class Kind {
    kImage,       // one image file
    kFrame,       // one frame of a video
    kEndOfVideo,  // after a video's last frame (or in its place when it cannot be opened): no
                  // pixels; `frame` = the number of frames read; `error` set if reading failed
  };
  Kind kind = Kind::kImage;
  size_t input = 0;                       // index into the inputs
  const PipelineInput* source = nullptr;  // &inputs[input]
  int64_t frame = -1;                     // kFrame: 0-based frame index
  double fps = 0;  // kFrame / kEndOfVideo: the video's frame rate (0: unknown)

  // The decoded pixels (empty for kEndOfVideo and for failed items). Under fast_decode these are
  // the reduced image: image.width() may be width / 2, / 4 or / 8.
  ImageBuffer image;
  int width = 0, height = 0;  // the original image's size (what detections refer to)

  // Detections in original-image pixels (Detector::detect's order: descending score).
  std::vector<Detection> detections;
  // Set when the input (or, for kFrame, this frame's inference or processing) failed; then
  // detections are empty. Rethrow it to inspect (usually a yoloxrt::Error naming the file).
  std::exception_ptr error;

  // The detections with boxes in `image` pixels (equal to `detections` unless fast-decoded): what
  // to draw on `image`.
  std::vector<Detection> image_detections() const;
};

struct PipelineCallbacks {
  // Per-item work that needs no order (drawing, encoding, writing an image file): called on one of
  // process_threads threads, concurrently with other items, for kImage and kFrame items without an
  // error. An exception it throws is stored in item.error (the item is still delivered). May be
  // empty.
  std::function<void(PipelineItem&)> process;
  // In-order work: called on the thread that called run_pipeline, one item at a time, for every
  // item (failed ones included) in input order. An exception it throws stops the pipeline (the
  // threads are joined) and propagates out of run_pipeline. Required.
  std::function<void(PipelineItem&)> deliver;
  // Called once, as soon as the detector is available, before any process or deliver call (on
  // whichever pipeline thread needs the detector first, or the caller's): e.g. to set up output
  // that needs the model's class names. An exception it throws stops the pipeline and propagates
  // out of run_pipeline. May be empty.
  std::function<void(const Detector&)> ready;
};

struct PipelineStats {
  uint64_t images = 0;   // kImage items delivered without error
  uint64_t frames = 0;   // kFrame items delivered without error
  uint64_t failed = 0;   // items delivered with an error (a failed video counts once)
  uint64_t batches = 0;  // Detector::detect calls
  uint64_t wall_ns = 0;  // run_pipeline, from the detector being available to the end
  // run_pipeline's start until the detector was available (the overload taking a future: reading
  // and decoding ran meanwhile); 0 when it was given a Detector.
  uint64_t startup_ns = 0;
  // CPU time of each stage, summed over its threads (infer includes ONNX Runtime's own threads
  // only when intra-op threads = 1, i.e. when Run runs on the calling thread).
  uint64_t decode_ns = 0, infer_ns = 0, process_ns = 0, deliver_ns = 0;
  size_t max_in_flight = 0;   // the bound used
  size_t peak_in_flight = 0;  // the most items alive at once (<= max_in_flight)
  // Wall time the infer threads spent waiting for decoded images (after the detector was
  // available): what the other stages failed to hide.
  uint64_t infer_wait_ns = 0;
};

// How many threads a detection job should use on a machine with `cores` hardware threads (0 =
// std::thread::hardware_concurrency()): ONNX Runtime intra-op threads for the Detector
// (DetectorOptions::threads), and decode / process threads for the pipeline. The rule (measured on
// 2 cores, README "Threads"): intra-op max(1, cores / 2), decode max(1, cores / 4), process one
// more than decode (writers mostly wait on fsync).
struct ThreadPlan {
  int intra_op_threads = 1;  // DetectorOptions::threads
  int decode_threads = 1;    // PipelineOptions::decode_threads
  int process_threads = 2;   // PipelineOptions::process_threads
};
ThreadPlan default_thread_plan(unsigned cores = 0);

// Runs `detector` over `inputs` as described above and returns when every item was delivered.
// Throws Error(kInvalidArgument) for zero thread counts or batch, and whatever `deliver` throws.
// Thread-safe in the sense that several pipelines may share one Detector.
PipelineStats run_pipeline(const Detector& detector, std::span<const PipelineInput> inputs,
                           const PipelineOptions& options, const PipelineCallbacks& callbacks);

// The same, with the detector still loading (Detector::open takes ~0.06 s for nano, more for
// larger models): images are read and decoded at once (as many as max_in_flight), while
// inference, `ready`, `process` and `deliver` wait for `detector`. Under fast_decode, decoding
// waits too (the reduction depends on the model's input size). If `detector` holds an exception
// (or a null pointer), no callback is called, the threads are joined and run_pipeline rethrows it
// (Error(kRuntime) for a null pointer). The pointed-to Detector must outlive the call.
PipelineStats run_pipeline(std::shared_future<const Detector*> detector,
                           std::span<const PipelineInput> inputs, const PipelineOptions& options,
                           const PipelineCallbacks& callbacks);

}  // namespace yoloxrt
