// yoloxrt/mot.h - MOTChallenge detection files in, and their replay through the Tracker (the
// MOTChallenge public-detection protocol). The row type (MotRow) and the result writer
// (format_mot_rows) are results.h's. All functions are thread-safe (no shared state).
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "yoloxrt/results.h"
#include "yoloxrt/tracker.h"

namespace yoloxrt {

// Parses MOTChallenge detection lines: 7 to 10 comma-separated numbers "frame,id,x,y,w,h,score"
// plus up to three more (MOT's det.txt has -1,-1,-1 or world coordinates; they are ignored).
// Blank lines are skipped; CRLF line ends are accepted; fields may be padded with spaces.
// Throws Error(kCorrupt) naming `name` and the 1-based line for a line that does not parse (field
// count, a field that is not a number, a frame that is not an integer in [1, 10^7] (a replay
// visits every frame), an id that is not an integer, a negative width or height, a non-finite
// value), for a frame number smaller than the previous line's, and for text without any detection.
std::vector<MotRow> parse_mot_detections(std::string_view text, const std::string& name);

// Reads and parses `path`. Throws Error(kNotFound)/Error(kIo) if unreadable, and as
// parse_mot_detections does (naming the path).
std::vector<MotRow> read_mot_detections(const std::filesystem::path& path);

// A track as a MOT row of `frame`.
MotRow mot_row(int frame, const Track& track);

// Feeds the detections to a Tracker frame by frame, frames 1 to the last frame present (frames
// without rows get an empty update, so lost tracks age as in the video), and returns every
// returned track as a row, in frame order and the tracker's order within a frame.
// REQUIRES: rows sorted by frame (as parse_mot_detections guarantees); throws
// Error(kInvalidArgument) otherwise, and as Tracker does.
std::vector<MotRow> track_mot_detections(std::span<const MotRow> detections,
                                         const TrackerOptions& options = {});

}  // namespace yoloxrt
