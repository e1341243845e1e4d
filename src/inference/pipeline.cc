// The detection pipeline (pipeline.h): dispatch -> decode -> infer -> process -> deliver.
//
// Bounding: every item takes a slot when dispatch creates it and gives it back after deliver, so at
// most max_in_flight items exist. The queues between the stages are therefore never longer than
// that and pushing never blocks; only dispatch waits (for a slot) and deliver waits (for the next
// item in order). Deadlock-free: the item deliver waits for holds a slot, and no stage waits on
// deliver except dispatch; infer stops waiting for a full batch when every slot is taken.
#include "yoloxrt/pipeline.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"
#include "yoloxrt/image_header.h"
#include "yoloxrt/video.h"

namespace yoloxrt {
namespace {

uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// CPU time of the calling thread: what a stage costs, whatever else shares the cores.
uint64_t cpu_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// An item travelling through the stages, with its position in the delivery order.
struct Job {
  uint64_t seq = 0;
  PipelineItem item;
  std::vector<uint8_t> bytes;  // an image file's bytes, between dispatch and decode
  bool needs_decode = false;
  // The model input, made by the decoder when the model is already loaded (else by infer).
  PreparedInput prepared;
  bool has_prepared = false;
};
using JobPtr = std::unique_ptr<Job>;

// An unbounded (the slots bound it) multi-producer multi-consumer queue that can be closed.
class JobQueue {
 public:
  void push(JobPtr job) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }
  // Blocks until a job is there (true) or the queue is closed and empty (false).
  bool pop(JobPtr& out) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !jobs_.empty() || closed_; });
    if (jobs_.empty()) return false;
    out = std::move(jobs_.front());
    jobs_.pop_front();
    return true;
  }
  // Pops the first job and up to max - 1 later ones with the same key, waiting until `max` such
  // jobs are there, the queue is closed, or `stop_waiting()` (called under the queue's lock after
  // every change, and whenever poke() is called) says more cannot come soon.
  template <typename Key, typename StopWaiting>
  bool pop_group(size_t max, Key key, StopWaiting stop_waiting, std::vector<JobPtr>& out) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] {
      if (jobs_.empty()) return closed_;
      if (closed_ || max <= 1 || stop_waiting()) return true;
      const auto k = key(*jobs_.front());
      size_t n = 0;
      for (const auto& j : jobs_)
        if (key(*j) == k && ++n >= max) return true;
      return false;
    });
    if (jobs_.empty()) return false;
    const auto k = key(*jobs_.front());
    for (auto it = jobs_.begin(); it != jobs_.end() && out.size() < max;) {
      if (key(**it) == k) {
        out.push_back(std::move(*it));
        it = jobs_.erase(it);
      } else {
        ++it;
      }
    }
    // Others may be waiting for jobs of another key that are now at the front.
    if (!jobs_.empty()) cv_.notify_all();
    return true;
  }
  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  // Closes the queue and drops what it holds (the pipeline is stopping).
  void abort() {
    std::deque<JobPtr> dropped;
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      dropped.swap(jobs_);
    }
    cv_.notify_all();
  }
  // Wakes waiters so that they re-evaluate their conditions.
  void poke() {
    { std::lock_guard lock(mu_); }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<JobPtr> jobs_;
  bool closed_ = false;
};

// Closes a queue when the last of `count` producers finishes.
class Producers {
 public:
  Producers(int count, JobQueue* q) : left_(count), q_(q) {}
  void done() {
    if (left_.fetch_sub(1) == 1 && q_) q_->close();
  }

 private:
  std::atomic<int> left_;
  JobQueue* q_;
};

class Pipeline {
 public:
  Pipeline(std::shared_future<const Detector*> det, std::span<const PipelineInput> inputs,
           const PipelineOptions& o, const PipelineCallbacks& cb)
      : det_future_(std::move(det)),
        inputs_(inputs),
        o_(o),
        cb_(cb),
        max_in_flight_(o.max_in_flight
                           ? o.max_in_flight
                           : o.batch * static_cast<size_t>(o.infer_threads) +
                                 static_cast<size_t>(2 * o.decode_threads + o.process_threads)),
        decoders_left_(o.decode_threads + 1, &infer_q_),  // + dispatch, which reads video frames
        inferers_left_(o.infer_threads, cb.process ? &process_q_ : nullptr),
        processors_left_(o.process_threads, nullptr) {}

  PipelineStats run() {
    const uint64_t t0 = now_ns();
    std::vector<std::thread> threads;
    std::exception_ptr failure;
    try {
      threads.emplace_back([this] { guarded(&Pipeline::dispatch); });
      for (int i = 0; i < o_.decode_threads; ++i)
        threads.emplace_back([this] { guarded(&Pipeline::decode); });
      for (int i = 0; i < o_.infer_threads; ++i)
        threads.emplace_back([this] { guarded(&Pipeline::infer); });
      if (cb_.process)
        for (int i = 0; i < o_.process_threads; ++i)
          threads.emplace_back([this] { guarded(&Pipeline::process); });
      deliver_all();
    } catch (...) {
      failure = std::current_exception();
    }
    stop();
    for (auto& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
    if (fatal_) std::rethrow_exception(fatal_);
    stats_.startup_ns = ready_at_ > t0 ? ready_at_ - t0 : 0;
    stats_.wall_ns = now_ns() - t0 - stats_.startup_ns;
    stats_.max_in_flight = max_in_flight_;
    stats_.decode_ns = decode_ns_;
    stats_.infer_ns = infer_ns_;
    stats_.process_ns = process_ns_;
    stats_.batches = batches_;
    stats_.infer_wait_ns = infer_wait_ns_;
    return stats_;
  }

 private:
  // Runs a stage; an exception outside the per-item handling (out of memory, say) stops the
  // pipeline and is rethrown by run().
  void guarded(void (Pipeline::*stage)()) {
    try {
      (this->*stage)();
    } catch (...) {
      {
        std::lock_guard lock(done_mu_);
        if (!fatal_) fatal_ = std::current_exception();
      }
      stop();
    }
  }

  // The detector, once available; the first caller also runs the `ready` callback. Rethrows the
  // loader's exception (or the callback's) to every caller.
  const Detector& detector() {
    std::call_once(ready_once_, [this] {
      try {
        const bool waited =
            det_future_.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
        det_ = det_future_.get();
        if (!det_)
          throw Error(ErrorKind::kRuntime, "pipeline: the detector loader gave no detector");
        if (cb_.ready) cb_.ready(*det_);
        if (waited) ready_at_ = now_ns();
      } catch (...) {
        ready_error_ = std::current_exception();
      }
    });
    if (ready_error_) std::rethrow_exception(ready_error_);
    return *det_;
  }

  // --- slots -------------------------------------------------------------------------------------
  // Takes a slot and numbers a new job; returns null when the pipeline is stopping.
  JobPtr new_job(size_t input, PipelineItem::Kind kind) {
    {
      std::unique_lock lock(slots_mu_);
      slots_cv_.wait(lock, [&] { return in_flight_ < max_in_flight_ || stopping_; });
      if (stopping_) return nullptr;
      ++in_flight_;
      stats_.peak_in_flight = std::max(stats_.peak_in_flight, in_flight_);
    }
    auto job = std::make_unique<Job>();
    job->seq = next_seq_.fetch_add(1);
    job->item.kind = kind;
    job->item.input = input;
    job->item.source = &inputs_[input];
    // Infer may be waiting for a fuller batch that can now never come.
    if (all_slots_taken()) infer_q_.poke();
    return job;
  }
  bool all_slots_taken() {
    std::lock_guard lock(slots_mu_);
    return in_flight_ >= max_in_flight_;
  }
  void release_slot() {
    {
      std::lock_guard lock(slots_mu_);
      --in_flight_;
    }
    slots_cv_.notify_all();
  }
  void stop() {
    {
      std::lock_guard lock(slots_mu_);
      stopping_ = true;
    }
    slots_cv_.notify_all();
    decode_q_.abort();
    infer_q_.abort();
    process_q_.abort();
    {
      std::lock_guard lock(done_mu_);
      done_stopping_ = true;
    }
    done_cv_.notify_all();
  }
  bool stopping() {
    std::lock_guard lock(slots_mu_);
    return stopping_;
  }

  // --- stages ------------------------------------------------------------------------------------
  // Creates the jobs in input order. Image files are read by the decoders; video frames are read
  // here, in order, since a video decodes sequentially anyway.
  void dispatch() {
    for (size_t i = 0; i < inputs_.size() && !stopping(); ++i) {
      if (!inputs_[i].video) {
        JobPtr job = new_job(i, PipelineItem::Kind::kImage);
        if (!job) break;
        job->needs_decode = true;
        decode_q_.push(std::move(job));
        continue;
      }
      read_video(i);
    }
    {
      std::lock_guard lock(done_mu_);
      dispatch_done_ = true;
    }
    done_cv_.notify_all();
    decode_q_.close();
    decoders_left_.done();
  }

  void read_video(size_t i) {
    const PipelineInput& in = inputs_[i];
    std::unique_ptr<VideoReader> reader;
    double fps = 0;
    int64_t frames = 0;
    std::exception_ptr error;
    try {
      reader = VideoReader::open(in.path);
      fps = reader->fps();
      for (;;) {
        const uint64_t t0 = cpu_ns();
        ImageBuffer frame;
        if (!reader->read(frame)) break;
        decode_ns_ += cpu_ns() - t0;
        JobPtr job = new_job(i, PipelineItem::Kind::kFrame);
        if (!job) return;
        job->item.frame = frames++;
        job->item.fps = fps;
        job->item.width = frame.width();
        job->item.height = frame.height();
        job->item.image = std::move(frame);
        infer_q_.push(std::move(job));
      }
    } catch (...) {
      error = std::current_exception();
    }
    JobPtr end = new_job(i, PipelineItem::Kind::kEndOfVideo);
    if (!end) return;
    end->item.frame = frames;
    end->item.fps = fps;
    end->item.error = error;
    finish(std::move(end));
  }

  void decode() {
    JobPtr job;
    while (decode_q_.pop(job)) {
      const uint64_t t0 = cpu_ns();
      PipelineItem& it = job->item;
      try {
        decode_one(it);
      } catch (...) {
        it.error = std::current_exception();
      }
      // Pre-process here too when the model is there, so that the inference thread only runs
      // the model (while it loads, infer pre-processes what was decoded meanwhile).
      if (!it.error && detector_ready()) {
        try {
          prepare(*job);
        } catch (...) {
          it.error = std::current_exception();
        }
      }
      decode_ns_ += cpu_ns() - t0;
      if (it.error)
        finish(std::move(job));
      else
        infer_q_.push(std::move(job));
    }
    decoders_left_.done();
  }

  // True once the model is loaded (without waiting for it).
  bool detector_ready() {
    return det_future_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }

  // Makes the job's model input, in a buffer recycled from an earlier job.
  void prepare(Job& job) {
    {
      std::lock_guard lock(buffers_mu_);
      if (!buffers_.empty()) {
        job.prepared.values = std::move(buffers_.back());
        buffers_.pop_back();
      }
    }
    detector().prepare(job.item.image.view(), &job.prepared);
    job.has_prepared = true;
  }
  // Returns a job's input buffer for reuse (at most one per slot is kept).
  void recycle(Job& job) {
    if (!job.has_prepared) return;
    job.has_prepared = false;
    std::lock_guard lock(buffers_mu_);
    if (buffers_.size() < max_in_flight_) buffers_.push_back(std::move(job.prepared.values));
    job.prepared = {};
  }

  void decode_one(PipelineItem& it) {
    const std::vector<uint8_t> bytes = read_file_bytes(it.source->path);
    const std::string name = it.source->path.string();
    int reduction = 1, w0 = 0, h0 = 0;
    if (o_.fast_decode) {
      // JPEG sides are at most 65535; the pixel limit is checked by the decode below.
      if (const auto h = read_image_header(bytes); h && std::string_view(h->format) == "jpeg" &&
                                                   h->width > 0 && h->height > 0 &&
                                                   h->width <= 65535 && h->height <= 65535) {
        w0 = static_cast<int>(h->width);
        h0 = static_cast<int>(h->height);
        reduction = reduction_for(w0, h0);
      }
    }
    it.image = reduction > 1 ? decode_image_scaled(bytes, name, reduction, o_.max_pixels)
                             : decode_image(bytes, name, o_.max_pixels);
    it.width = it.image.width();
    it.height = it.image.height();
    if (reduction > 1) {
      // libjpeg's scaled size is ceil(side / reduction); EXIF orientation may have swapped sides.
      const auto reduced = [&](int side) { return (side + reduction - 1) / reduction; };
      const bool swapped = it.image.width() != reduced(w0) || it.image.height() != reduced(h0);
      it.width = swapped ? h0 : w0;
      it.height = swapped ? w0 : h0;
    }
  }

  // The largest of 8, 4, 2 that leaves a w x h image at least as large as the model's resized
  // input (the resize only ever shrinks it further), else 1. Both orientations are planned, in
  // case EXIF orientation turns the image.
  int reduction_for(int w, int h) {
    const Detector& det = detector();
    const double scale = std::max(det.plan_for(w, h).scale, det.plan_for(h, w).scale);
    for (int r : {8, 4, 2})
      if (scale * r <= 1.0) return r;
    return 1;
  }

  void infer() {
    const Detector& det = detector();
    const size_t batch = o_.batch;
    auto size_key = [&det](const Job& j) {
      const ResizePlan p = det.plan_for(j.item.image.width(), j.item.image.height());
      return std::pair(p.input_h, p.input_w);
    };
    auto stop_waiting = [this] { return all_slots_taken(); };
    std::vector<JobPtr> group;
    for (;;) {
      group.clear();
      const uint64_t w0 = now_ns();
      if (!infer_q_.pop_group(batch, size_key, stop_waiting, group)) break;
      infer_wait_ns_ += now_ns() - w0;
      const uint64_t t0 = cpu_ns();
      std::vector<const PreparedInput*> prepared;
      try {
        for (const auto& j : group) {
          if (!j->has_prepared) prepare(*j);
          prepared.push_back(&j->prepared);
        }
        auto results = det.detect_prepared(prepared);
        for (size_t k = 0; k < group.size(); ++k)
          group[k]->item.detections = to_original(std::move(results[k]), group[k]->item);
      } catch (...) {
        const std::exception_ptr e = std::current_exception();
        for (auto& j : group) j->item.error = e;
      }
      for (auto& j : group) recycle(*j);
      infer_ns_ += cpu_ns() - t0;
      ++batches_;
      for (auto& j : group) {
        if (cb_.process && !j->item.error)
          process_q_.push(std::move(j));
        else
          finish(std::move(j));
      }
    }
    inferers_left_.done();
  }

  // Boxes from decoded-image pixels to original pixels (only fast-decoded images differ).
  static std::vector<Detection> to_original(std::vector<Detection> dets, const PipelineItem& it) {
    if (it.image.width() == it.width && it.image.height() == it.height) return dets;
    const float sx = static_cast<float>(it.width) / static_cast<float>(it.image.width());
    const float sy = static_cast<float>(it.height) / static_cast<float>(it.image.height());
    const float w = static_cast<float>(it.width), h = static_cast<float>(it.height);
    for (auto& d : dets)
      d.box = {std::min(d.box.x1 * sx, w), std::min(d.box.y1 * sy, h), std::min(d.box.x2 * sx, w),
               std::min(d.box.y2 * sy, h)};
    return dets;
  }

  void process() {
    JobPtr job;
    while (process_q_.pop(job)) {
      const uint64_t t0 = cpu_ns();
      try {
        cb_.process(job->item);
      } catch (...) {
        job->item.error = std::current_exception();
      }
      process_ns_ += cpu_ns() - t0;
      finish(std::move(job));
    }
    processors_left_.done();
  }

  // Hands a job to deliver.
  void finish(JobPtr job) {
    {
      std::lock_guard lock(done_mu_);
      const uint64_t seq = job->seq;
      done_.emplace(seq, std::move(job));
    }
    done_cv_.notify_one();
  }

  // Delivers the jobs in sequence order until dispatch has numbered its last one.
  void deliver_all() {
    (void)detector();  // nothing is delivered before the model is there (or failed to load)
    for (uint64_t seq = 0;; ++seq) {
      JobPtr job;
      {
        std::unique_lock lock(done_mu_);
        done_cv_.wait(lock, [&] {
          return done_stopping_ || (!done_.empty() && done_.begin()->first == seq) ||
                 (dispatch_done_ && seq >= next_seq_.load());
        });
        if (done_stopping_) return;
        if (done_.empty() || done_.begin()->first != seq) return;  // all delivered
        job = std::move(done_.begin()->second);
        done_.erase(done_.begin());
      }
      const uint64_t t0 = cpu_ns();
      PipelineItem& it = job->item;
      if (it.error)
        ++stats_.failed;
      else if (it.kind == PipelineItem::Kind::kImage)
        ++stats_.images;
      else if (it.kind == PipelineItem::Kind::kFrame)
        ++stats_.frames;
      cb_.deliver(it);
      job.reset();
      stats_.deliver_ns += cpu_ns() - t0;
      release_slot();
    }
  }

  std::shared_future<const Detector*> det_future_;
  std::once_flag ready_once_;
  const Detector* det_ = nullptr;   // set under ready_once_
  std::exception_ptr ready_error_;  // set under ready_once_
  uint64_t ready_at_ = 0;           // set under ready_once_: when the wait for it ended
  std::span<const PipelineInput> inputs_;
  const PipelineOptions& o_;
  const PipelineCallbacks& cb_;
  const size_t max_in_flight_;

  JobQueue decode_q_, infer_q_, process_q_;
  Producers decoders_left_, inferers_left_, processors_left_;

  std::mutex buffers_mu_;
  std::vector<std::vector<float>> buffers_;  // model-input buffers of finished jobs, for reuse

  std::mutex slots_mu_;
  std::condition_variable slots_cv_;
  size_t in_flight_ = 0;
  bool stopping_ = false;
  std::atomic<uint64_t> next_seq_{0};  // incremented by dispatch only

  std::mutex done_mu_;  // guards the members below
  std::condition_variable done_cv_;
  std::map<uint64_t, JobPtr> done_;  // finished jobs waiting for their turn, by sequence number
  bool dispatch_done_ = false;       // dispatch numbered its last job
  bool done_stopping_ = false;
  std::exception_ptr fatal_;

  std::atomic<uint64_t> decode_ns_{0}, infer_ns_{0}, process_ns_{0}, batches_{0}, infer_wait_ns_{0};
  PipelineStats stats_;
};

}  // namespace

std::vector<Detection> PipelineItem::image_detections() const {
  if (image.width() == width && image.height() == height) return detections;
  const float sx = static_cast<float>(image.width()) / static_cast<float>(width);
  const float sy = static_cast<float>(image.height()) / static_cast<float>(height);
  std::vector<Detection> out = detections;
  for (auto& d : out) d.box = {d.box.x1 * sx, d.box.y1 * sy, d.box.x2 * sx, d.box.y2 * sy};
  return out;
}

ThreadPlan default_thread_plan(unsigned cores) {
  if (cores == 0) cores = std::max(1u, std::thread::hardware_concurrency());
  ThreadPlan p;
  p.intra_op_threads = static_cast<int>(std::max(1u, cores / 2));
  p.decode_threads = static_cast<int>(std::max(1u, cores / 4));
  p.process_threads = p.decode_threads + 1;
  return p;
}

PipelineStats run_pipeline(const Detector& detector, std::span<const PipelineInput> inputs,
                           const PipelineOptions& options, const PipelineCallbacks& callbacks) {
  std::promise<const Detector*> ready;
  ready.set_value(&detector);
  return run_pipeline(ready.get_future().share(), inputs, options, callbacks);
}

PipelineStats run_pipeline(std::shared_future<const Detector*> detector,
                           std::span<const PipelineInput> inputs, const PipelineOptions& options,
                           const PipelineCallbacks& callbacks) {
  if (options.batch < 1 || options.decode_threads < 1 || options.infer_threads < 1 ||
      options.process_threads < 1)
    throw Error(ErrorKind::kInvalidArgument,
                "pipeline: batch and thread counts must be at least 1");
  if (!callbacks.deliver)
    throw Error(ErrorKind::kInvalidArgument, "pipeline: a deliver callback is required");
  if (!detector.valid()) throw Error(ErrorKind::kInvalidArgument, "pipeline: no detector future");
  Pipeline p(std::move(detector), inputs, options, callbacks);
  return p.run();
}

}  // namespace yoloxrt
