// yoloxrt/tracker.h - multi-object tracking with ByteTrack (Zhang et al., ECCV 2022).
//
// Tracker reproduces ByteTrack's BYTETracker.update (ifzhang/ByteTrack,
// yolox/tracker/byte_tracker.py) exactly: the same tracks, ids and boxes for the same detections.
// Per frame:
//  1. detections with score > track_thresh are "high", those with 0.1 < score < track_thresh "low";
//  2. confirmed and lost tracks are predicted with a Kalman filter (8 states: centre, aspect,
//     height and their velocities, double precision) and matched to the high detections on
//     IoU distance (fused with the score, cost = 1 - IoU * score, unless mot20), cost limit
//     match_thresh;
//  3. the still-unmatched tracked tracks are matched to the low detections (limit 0.5); the ones
//     left become lost;
//  4. unconfirmed tracks (started on the previous frame) are matched to the remaining high
//     detections (limit 0.7) or removed;
//  5. a remaining high detection with score >= track_thresh + 0.1 starts a new, unconfirmed track
//     (confirmed at once on the first frame); a track lost for more than
//     int(frame_rate / 30 * track_buffer) frames is removed; a tracked and a lost track closer
//     than IoU distance 0.15 are duplicates and the younger one is dropped.
// IoU uses the +1 pixel convention (w = x2 - x1 + 1), as ByteTrack's cython_bbox; assignment is a
// Jonker-Volgenant solver with lap.lapjv's extend_cost + cost_limit semantics.
// Association is class-agnostic, as ByteTrack's; filter classes before calling update.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "yoloxrt/detection.h"

namespace yoloxrt {

// ByteTrack's parameters, with its defaults.
struct TrackerOptions {
  double track_thresh = 0.5;  // high/low split; new tracks need score >= track_thresh + 0.1
  double match_thresh = 0.8;  // cost limit of the first association
  int track_buffer = 30;      // frames a lost track is kept, at 30 frames per second
  double frame_rate = 30;     // the lost buffer is int(frame_rate / 30 * track_buffer) frames
  bool mot20 = false;         // true: IoU cost without score fusion (ByteTrack's MOT20 setting)
};

// One detection handed to the tracker: a box xyxy in pixels of the frame (x1, y1 top-left), its
// score and class. Double precision, as ByteTrack's numpy arrays.
struct TrackerInput {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  double score = 0;
  int class_id = 0;
};

// A track returned by update(). The box is the Kalman filter's corrected state for this frame.
struct Track {
  int id = 0;                         // from 1 per Tracker, in order of activation
  double x = 0, y = 0, w = 0, h = 0;  // top-left corner and size in pixels (ByteTrack's tlwh)
  double score = 0;                   // score of the detection matched on this frame
  int class_id = 0;                   // class of the detection matched on this frame
  int start_frame = 0;                // frame (1-based, counted by update calls) the track started
  int age = 0;                        // frames since start_frame (0 on the frame it started)

  // The box as xyxy floats (for drawing and JSON).
  Box box() const {
    return {static_cast<float>(x), static_cast<float>(y), static_cast<float>(x + w),
            static_cast<float>(y + h)};
  }
};

// ByteTrack's demo filter on returned tracks (tools/demo_track.py): a track is shown and saved
// when w * h > min_box_area and it is not wider than tall by more than max_aspect_ratio
// (w / h > max_aspect_ratio: not a pedestrian). Only the output is filtered; the tracker keeps
// every track. Thread-safe.
struct TrackFilter {
  double min_box_area = 10;
  double max_aspect_ratio = 1.6;
  bool keep(const Track& t) const {
    return t.w * t.h > min_box_area && !(t.w / t.h > max_aspect_ratio);
  }
};

class Tracker {
 public:
  // Throws Error(kInvalidArgument) for options outside their domain (thresholds not finite or
  // outside [0, 1] for track_thresh / [0, 2] for match_thresh, track_buffer < 0, frame_rate <= 0).
  explicit Tracker(const TrackerOptions& options = {});
  ~Tracker();
  Tracker(Tracker&&) noexcept;
  Tracker& operator=(Tracker&&) noexcept;

  // Advances one frame with this frame's detections (possibly none; any order) and returns the
  // tracks that are tracked and confirmed on this frame, in ByteTrack's output order.
  // Detections with a width or height <= 0 are ignored (ByteTrack's filter would divide by zero).
  // Throws Error(kInvalidArgument) if a detection's box or score is not finite.
  // Not thread-safe: one Tracker per stream, used by one thread at a time; distinct Trackers share
  // nothing.
  std::vector<Track> update(std::span<const TrackerInput> detections);
  // The same for the detector's float boxes.
  std::vector<Track> update(std::span<const Detection> detections);

  // Number of update() calls so far (the current frame number, 1-based after the first call).
  int frame() const;
  // Frames a lost track is kept: int(frame_rate / 30 * track_buffer).
  int max_time_lost() const;
  const TrackerOptions& options() const;
  // Forgets every track and restarts frame and id counting.
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace yoloxrt
