// yoloxrt track: ByteTrack multi-object tracking on videos and frame folders (detector + Tracker),
// or a replay of MOTChallenge detection files through the Tracker.
//
// Outputs (annotated video or frames, MOT file, JSON) are written atomically, never over an input;
// the first error stops the run.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/pipeline_flags.h"
#include "yoloxrt/detector.h"
#include "yoloxrt/detector_loader.h"
#include "yoloxrt/draw.h"
#include "yoloxrt/error.h"
#include "yoloxrt/file_io.h"
#include "yoloxrt/image.h"
#include "yoloxrt/mot.h"
#include "yoloxrt/pipeline.h"
#include "yoloxrt/results.h"
#include "yoloxrt/tracker.h"
#include "yoloxrt/video.h"

namespace yoloxrt::cli {
namespace {
namespace fs = std::filesystem;

struct TrackArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::string out_dir = "out";
  std::string mot_path, json_path, detections, classes;
  TrackerOptions tracker;
  std::optional<double> frame_rate, min_box_area, aspect_ratio_thresh;
  int trail = 0;
  int64_t max_frames = 0;
  bool no_draw = false, quiet = false;
  // detect's flags; conf 0.1: ByteTrack's second association needs the low detections.
  ModelFlags model_flags;
  std::string font, cache;
  float conf = 0.1f, iou = 0.45f;
  bool per_class = false;
  size_t max_det = 300;
  PipelineFlags pipeline;  // --batch, --io-threads, --in-flight
};

// --classes: names of the model's classes (case-insensitive) or class ids.
std::set<int> resolve_classes(const std::string& spec, const std::vector<std::string>& names) {
  std::set<int> ids;
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (const std::string& item : split_list(spec)) {
    bool found = false;
    for (size_t k = 0; k < names.size(); ++k)
      if (lower(names[k]) == lower(item)) {
        ids.insert(static_cast<int>(k));
        found = true;
      }
    if (found) continue;
    char* end = nullptr;
    const long id = std::strtol(item.c_str(), &end, 10);
    if (*end == '\0' && end != item.c_str() && id >= 0 && id < 1000000) {
      ids.insert(static_cast<int>(id));
      continue;
    }
    throw Error(ErrorKind::kNotFound, "--classes: '" + item + "' is not a class of the model (" +
                                          std::to_string(names.size()) + " classes, e.g. '" +
                                          (names.empty() ? std::string() : names[0]) + "')");
  }
  if (ids.empty()) throw Error(ErrorKind::kInvalidArgument, "--classes names no class");
  return ids;
}

// The frames of one input, as pipeline inputs: a video file, or the images directly inside a
// folder (sorted by name; at most `max_frames` of them when > 0).
struct FrameInputs {
  std::vector<PipelineInput> inputs;
  bool video = false;
};

FrameInputs frame_inputs(const fs::path& input, int64_t max_frames) {
  FrameInputs out;
  std::error_code ec;
  if (fs::is_directory(input, ec)) {
    std::vector<fs::path> files;
    for (auto it = fs::directory_iterator(input, ec); !ec && it != fs::directory_iterator();
         it.increment(ec))
      if (it->is_regular_file(ec) && is_image_extension(it->path())) files.push_back(it->path());
    if (ec) throw Error(ErrorKind::kIo, "cannot list the folder: " + ec.message(), input.string());
    std::sort(files.begin(), files.end());
    if (files.empty())
      throw Error(ErrorKind::kNotFound, "no image files in the folder", input.string());
    if (max_frames > 0 && files.size() > static_cast<size_t>(max_frames))
      files.resize(static_cast<size_t>(max_frames));
    for (auto& f : files) out.inputs.push_back({std::move(f), false});
  } else {
    if (!fs::exists(input, ec)) throw Error(ErrorKind::kNotFound, "no such file", input.string());
    out.inputs.push_back({input, true});
    out.video = true;
  }
  return out;
}

// Thrown by deliver once --max-frames frames of a video were tracked: stops its pipeline.
struct EnoughFrames {};

// Rethrows a pipeline item's error, naming `file` if it names none.
[[noreturn]] void rethrow_named(const std::exception_ptr& error, const fs::path& file) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    throw e.with_file(file.string());
  }
}

// create_directories reporting a failure as Error(kIo) naming the folder.
void make_folder(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir.empty() ? fs::path(".") : dir, ec);
  if (ec) throw Error(ErrorKind::kIo, "cannot create the folder: " + ec.message(), dir.string());
}

// A video keeps its file name; a folder's frames go to a folder of the same name.
fs::path annotated_path(const TrackArgs& a, const fs::path& input) {
  const fs::path name =
      input.filename().empty() ? input.parent_path().filename() : input.filename();
  return fs::path(a.out_dir) / name;
}

void refuse_over_inputs(const TrackArgs& a, const std::vector<fs::path>& outputs) {
  std::set<fs::path> inputs;
  for (const auto& in : a.inputs) inputs.insert(canonical_or_absolute(in));
  if (!a.model.empty()) inputs.insert(canonical_or_absolute(a.model));
  if (!a.detections.empty()) inputs.insert(canonical_or_absolute(a.detections));
  for (const auto& out : outputs)
    if (!out.empty() && inputs.count(canonical_or_absolute(out)))
      throw Error(ErrorKind::kUnsafe, "refusing to write an output over an input file",
                  out.string());
}

TrackerOptions tracker_options(const TrackArgs& a, double default_frame_rate) {
  TrackerOptions o = a.tracker;
  o.frame_rate = a.frame_rate.value_or(default_frame_rate);
  return o;
}

// Tracks the frames of one input; appends MOT rows and JSON records; writes the annotated copy.
// The frames are decoded and detected ahead on the pipeline's threads (run_pipeline, at most
// max_in_flight at once); the tracker, drawing and writing follow in frame order in `deliver`.
class TrackRun {
 public:
  // `detector` may still be loading: the first input's frames are read and decoded meanwhile,
  // and --classes and the JSON writer are set up once it is there.
  TrackRun(const TrackArgs& a, std::shared_future<const Detector*> detector,
           const PipelineOptions& pipeline)
      : a_(a), det_(std::move(detector)), pipeline_(pipeline) {
    filter_.min_box_area = a.min_box_area.value_or(10);
    filter_.max_aspect_ratio = a.aspect_ratio_thresh.value_or(1.6);
    draw_.font_path = a.font;
  }

  std::vector<MotRow> run(const fs::path& input, const FrameInputs& source, size_t input_index,
                          ProgressBar& progress, size_t& frames_done) {
    // The frame count, for the progress bar only (a video is opened once more for it).
    size_t expected = source.video ? 0 : source.inputs.size();
    if (source.video && progress.enabled())
      expected = static_cast<size_t>(std::max<int64_t>(VideoReader::open(input)->frame_count(), 0));
    if (a_.max_frames > 0) expected = std::min(expected, static_cast<size_t>(a_.max_frames));
    progress.set_total(expected > 0 ? frames_done + expected : 0);

    Stream st{input, input_index, source.video, annotated_path(a_, input)};
    PipelineCallbacks callbacks;
    callbacks.ready = [this](const Detector& det) { ready(det); };
    callbacks.deliver = [&](PipelineItem& it) {
      deliver(st, it);
      if (it.kind == PipelineItem::Kind::kEndOfVideo) return;
      progress.update(++frames_done, st.video ? input : it.source->path);
      if (st.video && a_.max_frames > 0 && st.index >= a_.max_frames) throw EnoughFrames{};
    };
    try {
      run_pipeline(det_, source.inputs, pipeline_, callbacks);
    } catch (const EnoughFrames&) {
    }
    if (st.index == 0) throw Error(ErrorKind::kCorrupt, "no readable frames", input.string());
    if (st.writer) st.writer->close();
    if (!a_.quiet && !progress.enabled())
      std::fprintf(stderr, "%s: %lld frames, %zu track rows%s%s\n", input.c_str(),
                   static_cast<long long>(st.index), st.rows.size(), a_.no_draw ? "" : " -> ",
                   a_.no_draw ? "" : st.out.c_str());
    return std::move(st.rows);
  }

  // Writes the JSON file (after the last input).
  void finish() {
    if (json_) json_->close();
  }

 private:
  // Once, when the detector is there (before the first input's first frame is delivered).
  void ready(const Detector& det) {
    if (is_ready_) return;
    is_ready_ = true;
    if (!a_.classes.empty()) classes_ = resolve_classes(a_.classes, det.metadata().class_names);
    if (!a_.json_path.empty()) {
      ResultsWriter::Options jo;
      jo.class_names = det.metadata().class_names;
      json_ = ResultsWriter::open(a_.json_path, ResultsFormat::kJson, std::move(jo));
    }
  }

  // One input's state, updated frame by frame.
  struct Stream {
    fs::path input;
    size_t input_index = 0;
    bool video = false;
    fs::path out;                    // the annotated video, or folder of annotated frames
    std::optional<Tracker> tracker;  // made at the first frame (the video's frame rate)
    double fps = 30;
    std::unique_ptr<VideoWriter> writer;
    std::vector<MotRow> rows;
    std::map<int, std::deque<std::array<float, 2>>> trails;
    int64_t index = 0;          // frames tracked
    int width = 0, height = 0;  // the first frame's size (a folder's frames must all have it)
    fs::path first_frame;
  };

  // One pipeline item, in frame order: the first error stops the run.
  void deliver(Stream& st, PipelineItem& it) {
    if (it.kind == PipelineItem::Kind::kEndOfVideo) {
      if (it.error) rethrow_named(it.error, st.input);
      return;
    }
    const fs::path& name = st.video ? st.input : it.source->path;
    if (it.error) rethrow_named(it.error, name);
    if (st.index == 0) {
      st.first_frame = name;
      st.width = it.width;
      st.height = it.height;
      // 30 for folders, and for containers that do not say.
      st.fps = it.fps > 0 && it.fps < 1000 ? it.fps : 30;
      st.tracker.emplace(tracker_options(a_, st.fps));
    } else if (!st.video && (it.width != st.width || it.height != st.height)) {
      throw Error(ErrorKind::kMismatch,
                  "frame is " + std::to_string(it.width) + "x" + std::to_string(it.height) +
                      " but the folder's first frame (" + st.first_frame.filename().string() +
                      ") is " + std::to_string(st.width) + "x" + std::to_string(st.height),
                  name.string());
    }
    Image view = it.image.view();
    std::vector<Detection>& dets = it.detections;
    if (classes_)
      std::erase_if(dets, [&](const Detection& d) { return !classes_->count(d.class_id); });
    const std::vector<Track> tracks = st.tracker->update(dets);

    const int64_t index = st.index;
    ImageResult result;
    result.image = st.input.string();
    result.frame = index;
    result.width = view.width;
    result.height = view.height;
    std::vector<LabeledBox> boxes;
    for (const Track& t : tracks) {
      if (!filter_.keep(t)) continue;
      st.rows.push_back(mot_row(static_cast<int>(index + 1), t));
      result.detections.push_back({t.box(), t.class_id, static_cast<float>(t.score)});
      result.track_ids.push_back(t.id);
      boxes.push_back({t.box(), palette_color(t.id), "id " + std::to_string(t.id)});
      if (a_.trail > 0) {
        auto& trail = st.trails[t.id];
        trail.push_back({static_cast<float>(t.x + t.w / 2), static_cast<float>(t.y + t.h / 2)});
        while (trail.size() > static_cast<size_t>(a_.trail)) trail.pop_front();
      }
    }
    if (json_) json_->add(result, st.input_index);
    if (!a_.no_draw) {
      if (a_.trail > 0) {
        // Trails of the tracks shown on this frame; the others' are dropped.
        std::set<int> shown(result.track_ids.begin(), result.track_ids.end());
        for (auto t = st.trails.begin(); t != st.trails.end();)
          t = shown.count(t->first) ? std::next(t) : st.trails.erase(t);
        for (const auto& [id, pts] : st.trails)
          draw_polyline(view, std::vector<std::array<float, 2>>(pts.begin(), pts.end()),
                        palette_color(id), 2);
      }
      draw_labeled_boxes(view, boxes, draw_);
      if (st.video) {
        if (!st.writer) {
          make_folder(st.out.parent_path());
          st.writer = VideoWriter::open(st.out, st.fps, view.width, view.height);
        }
        st.writer->write(view);
      } else {
        make_folder(st.out);
        save_image(st.out / name.filename(), view);
      }
    }
    ++st.index;
  }

  const TrackArgs& a_;
  std::shared_future<const Detector*> det_;
  const PipelineOptions& pipeline_;
  bool is_ready_ = false;
  std::optional<std::set<int>> classes_;
  std::unique_ptr<ResultsWriter> json_;
  TrackFilter filter_;
  DrawOptions draw_;
};

void run_replay(const TrackArgs& a) {
  if (!a.model.empty() || !a.inputs.empty())
    throw Error(ErrorKind::kInvalidArgument,
                "--detections replays a detection file: it takes no MODEL or inputs");
  if (a.mot_path.empty())
    throw Error(ErrorKind::kInvalidArgument, "--detections needs --mot FILE for the tracks");
  if (!a.json_path.empty() || !a.classes.empty() || a.trail > 0)
    throw Error(ErrorKind::kInvalidArgument,
                "--json, --classes and --trail need a model run; a replay writes --mot only");
  refuse_over_inputs(a, {a.mot_path});
  const std::vector<MotRow> dets = read_mot_detections(a.detections);
  // ByteTrack's defaults: 30 frames per second unless told; no output filter unless asked.
  std::vector<MotRow> rows = track_mot_detections(dets, tracker_options(a, 30));
  if (a.min_box_area || a.aspect_ratio_thresh) {
    TrackFilter f;
    f.min_box_area = a.min_box_area.value_or(0);
    f.max_aspect_ratio = a.aspect_ratio_thresh.value_or(1e300);
    std::erase_if(rows, [&](const MotRow& r) {
      Track t;
      t.w = r.w;
      t.h = r.h;
      return !f.keep(t);
    });
  }
  write_file_atomic(a.mot_path, format_mot_rows(rows));
  if (!a.quiet) {
    std::set<int> ids;
    for (const MotRow& r : rows) ids.insert(r.id);
    std::fprintf(stderr, "%s: %zu detections on %d frames -> %zu track rows, %zu tracks -> %s\n",
                 a.detections.c_str(), dets.size(), dets.back().frame, rows.size(), ids.size(),
                 a.mot_path.c_str());
  }
}

void run_track(const TrackArgs& a) {
  if (!a.detections.empty()) return run_replay(a);
  if (a.model.empty() || a.inputs.empty())
    throw Error(ErrorKind::kInvalidArgument,
                "track needs MODEL and at least one VIDEO or FRAMES_DIR (or --detections FILE)");
  if (!a.mot_path.empty() && a.inputs.size() > 1)
    throw Error(ErrorKind::kInvalidArgument,
                "--mot writes one sequence: give one input (run track once per video)");
  if (a.trail < 0 || a.trail > 1000)
    throw Error(ErrorKind::kInvalidArgument, "--trail must be in [0, 1000]");
  if (!a.font.empty() && !fs::exists(a.font))
    throw Error(ErrorKind::kNotFound, "font file does not exist", a.font);
  // Probe the tracker options before the model loads (Tracker validates them).
  Tracker probe(tracker_options(a, 30));
  const ThreadPlan plan = resolve_thread_plan(a.model_flags.threads, a.pipeline);
  const PipelineOptions po = pipeline_options(a.pipeline, plan, kDefaultMaxImagePixels);

  std::vector<fs::path> outputs = {a.mot_path, a.json_path};
  if (!a.no_draw)
    for (const auto& in : a.inputs) outputs.push_back(annotated_path(a, in));
  refuse_over_inputs(a, outputs);

  DetectorOptions o;
  apply_model_flags(a.model_flags, o);
  o.threads = plan.intra_op_threads;
  o.cache_path = a.cache;
  o.conf = a.conf;
  o.iou = a.iou;
  o.per_class = a.per_class;
  o.max_det = a.max_det;
  // Every input's frames are listed first, for the codecs they need; an input that cannot be
  // listed fails when its turn comes, as it did when each was listed then.
  std::vector<FrameInputs> sources(a.inputs.size());
  std::vector<std::exception_ptr> listing_errors(a.inputs.size());
  std::vector<PipelineInput> all_frames;
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    try {
      sources[i] = frame_inputs(a.inputs[i], a.max_frames);
      all_frames.insert(all_frames.end(), sources[i].inputs.begin(), sources[i].inputs.end());
    } catch (...) {
      listing_errors[i] = std::current_exception();
    }
  }
  // The model (and the codec plugins the inputs need: none for JPEG frames) loads on its own
  // thread while the first input's first frames are read and decoded; with a video, as in
  // detect, the model loads first: a video's frames need the video plugin anyway, and starting
  // the pipeline's threads while it loads (a dlopen holds the dynamic loader's lock, which
  // thread creation takes) made MOT17-01 --max-frames 10 slower, 0.28 vs 0.26 s.
  const MediaCodecNeeds codecs = media_codecs_needed(all_frames);
  const DetectorLoader loader(a.model, o, codecs);
  if (codecs.video) loader.future().wait();
  ProgressBar progress(0, !a.quiet && isatty(fileno(stderr)));
  progress.show_rate("frames");
  TrackRun run(a, loader.future(), po);
  std::vector<MotRow> rows;
  size_t frames_done = 0;
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    if (listing_errors[i]) {
      (void)loader.get();  // a model that cannot load is reported first
      std::rethrow_exception(listing_errors[i]);
    }
    std::vector<MotRow> r = run.run(a.inputs[i], sources[i], i, progress, frames_done);
    rows.insert(rows.end(), r.begin(), r.end());
  }
  progress.finish();
  run.finish();
  if (!a.mot_path.empty()) write_file_atomic(a.mot_path, format_mot_rows(rows));
}

}  // namespace

void register_track(CLI::App& app, int& exit_code) {
  (void)exit_code;
  auto a = std::make_shared<TrackArgs>();
  CLI::App* cmd = app.add_subcommand(
      "track",
      "Track objects across video frames with ByteTrack: run a model on videos or frame folders "
      "(annotated video, MOT and JSON), or replay MOTChallenge detections (--detections)");
  cmd->add_option("model", a->model, "The ONNX model (not with --detections)");
  cmd->add_option("inputs", a->inputs,
                  "Video files, or folders of frames (the images inside, sorted by name)");
  cmd->add_option("-o,--out", a->out_dir,
                  "Folder for the annotated videos (same file names) and frame folders")
      ->capture_default_str();
  cmd->add_option("--mot", a->mot_path,
                  "Write MOTChallenge tracks frame,id,x,y,w,h,score,-1,-1,-1 (one input)");
  cmd->add_option("--json", a->json_path,
                  "Write a JSON list, one record per frame with its tracks (track_id, label, "
                  "class_id, score, box)");
  cmd->add_option("--detections", a->detections,
                  "Replay a MOTChallenge detection file frame,-1,x,y,w,h,score,... (needs --mot)");
  cmd->add_option("--classes", a->classes,
                  "Track only these classes: names or ids, comma-separated (e.g. person,car)");
  cmd->add_option("--track-thresh", a->tracker.track_thresh,
                  "High/low detection split; new tracks need this + 0.1")
      ->capture_default_str();
  cmd->add_option("--match-thresh", a->tracker.match_thresh,
                  "Cost limit of the first association (1 - IoU x score)")
      ->capture_default_str();
  cmd->add_option("--track-buffer", a->tracker.track_buffer,
                  "Frames a lost track is kept, at 30 frames/s (scaled by the frame rate)")
      ->capture_default_str();
  cmd->add_option("--frame-rate", a->frame_rate,
                  "Frame rate for the lost buffer (default: the video's; 30 for folders and "
                  "--detections)");
  cmd->add_flag("--mot20", a->tracker.mot20, "IoU cost without score fusion (ByteTrack's MOT20)");
  cmd->add_option("--min-box-area", a->min_box_area,
                  "Show and save tracks with w x h above this (default 10; none for "
                  "--detections)");
  cmd->add_option("--aspect-ratio-thresh", a->aspect_ratio_thresh,
                  "Drop tracks with w / h above this (default 1.6; none for --detections)");
  cmd->add_option("--trail", a->trail, "Draw each track's last N centres (0 = no trails)")
      ->capture_default_str();
  cmd->add_option("--max-frames", a->max_frames, "Stop each input after N frames (0 = all)")
      ->capture_default_str();
  cmd->add_flag("--no-draw", a->no_draw, "Do not write annotated videos or frames");
  cmd->add_flag("-q,--quiet", a->quiet, "No progress or summary lines");
  // detect's flags
  cmd->add_option("--size", a->model_flags.size, "Input size N or HxW (default: the model's)");
  cmd->add_option("--resize", a->model_flags.resize,
                  "crop, letterbox or pad (default: the model's)");
  cmd->add_option("--conf", a->conf,
                  "Detector score threshold (default 0.1: ByteTrack uses the low detections)")
      ->capture_default_str();
  cmd->add_option("--iou", a->iou, "NMS IoU threshold")->capture_default_str();
  cmd->add_flag("--per-class", a->per_class, "NMS per class (default: class-agnostic)");
  cmd->add_option("--max-det", a->max_det, "At most N detections per frame (0 = no limit)")
      ->capture_default_str();
  cmd->add_option("--threads", a->model_flags.threads,
                  "ONNX Runtime intra-op threads (0 = automatic: see README, Threads)")
      ->capture_default_str();
  add_pipeline_flags(cmd, a->pipeline,
                     "Threads decoding a folder's frames (a video's are read in order on one "
                     "thread); 0 = automatic",
                     false);
  cmd->add_option("--ep", a->model_flags.ep, "Execution providers in order, comma-separated");
  cmd->add_option("--family", a->model_flags.family,
                  "cjm or megvii, for models without yoloxrt metadata");
  cmd->add_option("--labels", a->model_flags.labels,
                  "Class names file (one per line, or a colormap JSON)");
  cmd->add_option("--font", a->font, "TrueType font for the labels");
  cmd->add_option("--cache", a->cache, "Optimised-model cache file");
  cmd->callback([a] { run_track(*a); });
}

}  // namespace yoloxrt::cli
