// ByteTrack's BYTETracker (ifzhang/ByteTrack yolox/tracker/byte_tracker.py), step for step. The
// comments name the reference's steps; list orders matter (they decide assignment ties and the
// output order) and follow the reference's list operations.
#include "yoloxrt/tracker.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "track/iou.h"
#include "track/kalman_filter.h"
#include "track/linear_assignment.h"
#include "yoloxrt/error.h"

namespace yoloxrt {
namespace {

using track::KalmanState;
using track::LapjvSolver;
using track::Measurement;
using track::TlbrBox;

// ByteTrack's fixed constants.
constexpr double kLowScoreThresh = 0.1;     // low detections: 0.1 < score < track_thresh
constexpr double kSecondMatchThresh = 0.5;  // tracked tracks vs low detections
constexpr double kUnconfirmedMatchThresh = 0.7;
constexpr double kDuplicateIouDistance = 0.15;
constexpr double kNewTrackMargin = 0.1;  // det_thresh = track_thresh + 0.1

enum class State { kNew, kTracked, kLost, kRemoved };

// A detection of the current frame (ByteTrack builds an STrack with no Kalman state for each).
struct Candidate {
  std::array<double, 4> tlwh;
  double score;
  int class_id;
};

struct STrack {
  int id = 0;
  State state = State::kNew;
  bool activated = false;
  KalmanState kf;
  double score = 0;
  int class_id = 0;
  int frame_id = 0;
  int start_frame = 0;
  int tracklet_len = 0;
  bool ever_removed = false;  // in the reference's removed_stracks (matched there by id)
};

Measurement tlwh_to_xyah(const std::array<double, 4>& t) {
  return {t[0] + t[2] / 2, t[1] + t[3] / 2, t[2] / t[3], t[3]};
}

// STrack.tlwh from the mean: w = a * h, then the corner is the centre minus half the size.
std::array<double, 4> mean_tlwh(const KalmanState& kf) {
  const double w = kf.mean[2] * kf.mean[3], h = kf.mean[3];
  return {kf.mean[0] - w / 2, kf.mean[1] - h / 2, w, h};
}

TlbrBox tlwh_to_tlbr(const std::array<double, 4>& t) {
  return {t[0], t[1], t[2] + t[0], t[3] + t[1]};
}

}  // namespace

struct Tracker::Impl {
  TrackerOptions options;
  int max_time_lost = 0;
  int frame_id = 0;
  int next_id = 0;

  std::vector<STrack> slab;  // track storage; lists hold indices into it
  std::vector<int> free_slots;
  std::vector<int> tracked;  // self.tracked_stracks
  std::vector<int> lost;     // self.lost_stracks

  // Scratch, kept to avoid allocations per frame.
  LapjvSolver solver;
  std::vector<double> cost;
  std::vector<TlbrBox> boxes_a, boxes_b;
  std::vector<unsigned> mark;
  unsigned mark_epoch = 0;

  int new_slot() {
    if (!free_slots.empty()) {
      const int s = free_slots.back();
      free_slots.pop_back();
      slab[static_cast<size_t>(s)] = STrack{};
      return s;
    }
    slab.emplace_back();
    mark.push_back(0);
    return static_cast<int>(slab.size()) - 1;
  }
  STrack& at(int slot) { return slab[static_cast<size_t>(slot)]; }

  TlbrBox track_tlbr(int slot) { return tlwh_to_tlbr(mean_tlwh(at(slot).kf)); }

  // matching.iou_distance (1 - IoU, +1 convention), optionally fused with the detection scores
  // (matching.fuse_score: 1 - (1 - cost) * score). Rows: tracks, columns: candidates.
  void track_candidate_cost(const std::vector<int>& tracks, const std::vector<Candidate>& cands,
                            bool fuse) {
    boxes_a.clear();
    boxes_b.clear();
    for (int t : tracks) boxes_a.push_back(track_tlbr(t));
    for (const Candidate& c : cands) boxes_b.push_back(tlwh_to_tlbr(c.tlwh));
    track::iou_distance(boxes_a, boxes_b, cost);
    if (!fuse) return;
    const size_t cols = cands.size();
    for (size_t i = 0; i < tracks.size(); ++i)
      for (size_t j = 0; j < cols; ++j) {
        double& c = cost[i * cols + j];
        const double sim = 1 - c;
        c = 1 - sim * cands[j].score;
      }
  }

  // joint_stracks: a, then the items of b not in a.
  std::vector<int> joint(const std::vector<int>& a, const std::vector<int>& b) {
    ++mark_epoch;
    std::vector<int> out;
    out.reserve(a.size() + b.size());
    for (int t : a)
      if (mark[static_cast<size_t>(t)] != mark_epoch) {
        mark[static_cast<size_t>(t)] = mark_epoch;
        out.push_back(t);
      }
    for (int t : b)
      if (mark[static_cast<size_t>(t)] != mark_epoch) {
        mark[static_cast<size_t>(t)] = mark_epoch;
        out.push_back(t);
      }
    return out;
  }

  // sub_stracks: the items of a not in b, in a's order.
  std::vector<int> sub(const std::vector<int>& a, const std::vector<int>& b) {
    ++mark_epoch;
    for (int t : b) mark[static_cast<size_t>(t)] = mark_epoch;
    std::vector<int> out;
    for (int t : a)
      if (mark[static_cast<size_t>(t)] != mark_epoch) out.push_back(t);
    return out;
  }

  void kalman_update(int slot, const Candidate& det) {
    STrack& t = at(slot);
    track::kalman_update(t.kf, tlwh_to_xyah(det.tlwh));
  }

  // STrack.update: a matched tracked (or unconfirmed) track.
  void update_track(int slot, const Candidate& det) {
    STrack& t = at(slot);
    t.frame_id = frame_id;
    ++t.tracklet_len;
    kalman_update(slot, det);
    t.state = State::kTracked;
    t.activated = true;
    t.score = det.score;
    t.class_id = det.class_id;
  }

  // STrack.re_activate (new_id = False): a lost track found again.
  void reactivate_track(int slot, const Candidate& det) {
    kalman_update(slot, det);
    STrack& t = at(slot);
    t.tracklet_len = 0;
    t.state = State::kTracked;
    t.activated = true;
    t.frame_id = frame_id;
    t.score = det.score;
    t.class_id = det.class_id;
  }

  // The matches of an association: a tracked track is updated, a lost (or just removed) one is
  // found again.
  void apply_matches(const track::Assignment& a, const std::vector<int>& rows,
                     const std::vector<Candidate>& cands, std::vector<int>& activated_now,
                     std::vector<int>& refind_now) {
    for (const auto& [it, id] : a.matches) {
      const int slot = rows[static_cast<size_t>(it)];
      if (at(slot).state == State::kTracked) {
        update_track(slot, cands[static_cast<size_t>(id)]);
        activated_now.push_back(slot);
      } else {
        reactivate_track(slot, cands[static_cast<size_t>(id)]);
        refind_now.push_back(slot);
      }
    }
  }

  // STrack.activate: a new track from a detection; confirmed at once only on the first frame.
  int activate_track(const Candidate& det) {
    const int slot = new_slot();
    STrack& t = at(slot);
    t.id = ++next_id;
    t.kf = track::kalman_initiate(tlwh_to_xyah(det.tlwh));
    t.tracklet_len = 0;
    t.state = State::kTracked;
    t.activated = frame_id == 1;
    t.frame_id = frame_id;
    t.start_frame = frame_id;
    t.score = det.score;
    t.class_id = det.class_id;
    return slot;
  }

  // remove_duplicate_stracks: pairs closer than IoU distance 0.15; the younger (frame_id -
  // start_frame not greater) of each pair goes.
  void remove_duplicates() {
    boxes_a.clear();
    boxes_b.clear();
    for (int t : tracked) boxes_a.push_back(track_tlbr(t));
    for (int t : lost) boxes_b.push_back(track_tlbr(t));
    track::iou_distance(boxes_a, boxes_b, cost);
    std::vector<char> dup_a(tracked.size(), 0), dup_b(lost.size(), 0);
    bool any = false;
    for (size_t p = 0; p < tracked.size(); ++p)
      for (size_t q = 0; q < lost.size(); ++q) {
        if (!(cost[p * lost.size() + q] < kDuplicateIouDistance)) continue;
        const STrack& tp = at(tracked[p]);
        const STrack& tq = at(lost[q]);
        if (tp.frame_id - tp.start_frame > tq.frame_id - tq.start_frame)
          dup_b[q] = 1;
        else
          dup_a[p] = 1;
        any = true;
      }
    if (!any) return;
    std::vector<int> keep_a, keep_b;
    for (size_t p = 0; p < tracked.size(); ++p)
      if (!dup_a[p]) keep_a.push_back(tracked[p]);
    for (size_t q = 0; q < lost.size(); ++q)
      if (!dup_b[q]) keep_b.push_back(lost[q]);
    tracked = std::move(keep_a);
    lost = std::move(keep_b);
  }

  // Slots referenced by neither list are dead (removed, or dropped as duplicates).
  void collect_garbage() {
    ++mark_epoch;
    for (int t : tracked) mark[static_cast<size_t>(t)] = mark_epoch;
    for (int t : lost) mark[static_cast<size_t>(t)] = mark_epoch;
    free_slots.clear();
    for (size_t s = 0; s < slab.size(); ++s)
      if (mark[s] != mark_epoch) {
        slab[s].state = State::kRemoved;
        free_slots.push_back(static_cast<int>(s));
      }
  }

  std::vector<Track> update(const std::vector<Candidate>& high, const std::vector<Candidate>& low) {
    ++frame_id;
    std::vector<int> activated_now, refind_now, lost_now, removed_now;

    // Step 1: split the tracked list into confirmed and unconfirmed tracks.
    std::vector<int> unconfirmed, confirmed;
    for (int t : tracked) (at(t).activated ? confirmed : unconfirmed).push_back(t);

    // Step 2: first association, confirmed + lost tracks vs high detections.
    const std::vector<int> pool = joint(confirmed, lost);
    for (int slot : pool) {
      STrack& t = at(slot);
      if (t.state != State::kTracked) t.kf.mean[7] = 0;
      track::kalman_predict(t.kf);
    }
    track_candidate_cost(pool, high, !options.mot20);
    const track::Assignment first =
        solver.assign(cost.data(), static_cast<int>(pool.size()), static_cast<int>(high.size()),
                      options.match_thresh);
    apply_matches(first, pool, high, activated_now, refind_now);

    // Step 3: second association, the still-tracked unmatched tracks vs low detections.
    std::vector<int> remaining_tracked;
    for (int it : first.unmatched_rows) {
      const int slot = pool[static_cast<size_t>(it)];
      if (at(slot).state == State::kTracked) remaining_tracked.push_back(slot);
    }
    track_candidate_cost(remaining_tracked, low, /*fuse=*/false);
    const track::Assignment second =
        solver.assign(cost.data(), static_cast<int>(remaining_tracked.size()),
                      static_cast<int>(low.size()), kSecondMatchThresh);
    apply_matches(second, remaining_tracked, low, activated_now, refind_now);
    for (int it : second.unmatched_rows) {
      const int slot = remaining_tracked[static_cast<size_t>(it)];
      if (at(slot).state != State::kLost) {
        at(slot).state = State::kLost;
        lost_now.push_back(slot);
      }
    }

    // Unconfirmed tracks vs the high detections left over from the first association.
    std::vector<Candidate> left;
    left.reserve(first.unmatched_cols.size());
    for (int id : first.unmatched_cols) left.push_back(high[static_cast<size_t>(id)]);
    track_candidate_cost(unconfirmed, left, !options.mot20);
    const track::Assignment third =
        solver.assign(cost.data(), static_cast<int>(unconfirmed.size()),
                      static_cast<int>(left.size()), kUnconfirmedMatchThresh);
    for (const auto& [it, id] : third.matches) {
      const int slot = unconfirmed[static_cast<size_t>(it)];
      update_track(slot, left[static_cast<size_t>(id)]);
      activated_now.push_back(slot);
    }
    for (int it : third.unmatched_rows) {
      const int slot = unconfirmed[static_cast<size_t>(it)];
      at(slot).state = State::kRemoved;
      removed_now.push_back(slot);
    }

    // Step 4: new tracks from confident unmatched detections.
    const double det_thresh = options.track_thresh + kNewTrackMargin;
    for (int id : third.unmatched_cols) {
      const Candidate& det = left[static_cast<size_t>(id)];
      if (det.score < det_thresh) continue;
      activated_now.push_back(activate_track(det));
    }

    // Step 5: drop tracks lost for too long, then rebuild the lists as the reference does.
    for (int slot : lost) {
      STrack& t = at(slot);
      if (frame_id - t.frame_id > max_time_lost) {
        t.state = State::kRemoved;
        removed_now.push_back(slot);
      }
    }
    std::vector<int> still_tracked;
    for (int t : tracked)
      if (at(t).state == State::kTracked) still_tracked.push_back(t);
    tracked = joint(joint(still_tracked, activated_now), refind_now);
    lost = sub(lost, tracked);
    lost.insert(lost.end(), lost_now.begin(), lost_now.end());
    // sub_stracks(lost, self.removed_stracks) runs before this frame's removals are appended to
    // removed_stracks: a track removed now stays in the lost list (and in the next frame's pool,
    // where it can even be found again) for one more frame. A track that was ever removed is
    // dropped from the lost list from then on.
    std::erase_if(lost, [&](int t) { return at(t).ever_removed; });
    for (int t : removed_now) at(t).ever_removed = true;
    remove_duplicates();

    std::vector<Track> out;
    for (int slot : tracked) {
      const STrack& t = at(slot);
      if (!t.activated) continue;
      const auto tlwh = mean_tlwh(t.kf);
      Track r;
      r.id = t.id;
      r.x = tlwh[0];
      r.y = tlwh[1];
      r.w = tlwh[2];
      r.h = tlwh[3];
      r.score = t.score;
      r.class_id = t.class_id;
      r.start_frame = t.start_frame;
      r.age = frame_id - t.start_frame;
      out.push_back(r);
    }
    collect_garbage();
    return out;
  }

  // Splits one frame's detections into high and low candidates (input order kept).
  template <typename GetBox>
  std::vector<Track> split_and_update(size_t n, GetBox get) {
    std::vector<Candidate> high, low;
    for (size_t k = 0; k < n; ++k) {
      const TrackerInput d = get(k);
      if (!std::isfinite(d.x1) || !std::isfinite(d.y1) || !std::isfinite(d.x2) ||
          !std::isfinite(d.y2) || !std::isfinite(d.score))
        throw Error(ErrorKind::kInvalidArgument, "tracker: detection " + std::to_string(k) +
                                                     " of frame " + std::to_string(frame_id + 1) +
                                                     " has a non-finite box or score");
      // STrack.tlbr_to_tlwh
      const std::array<double, 4> tlwh = {d.x1, d.y1, d.x2 - d.x1, d.y2 - d.y1};
      if (!(tlwh[2] > 0) || !(tlwh[3] > 0)) continue;
      if (d.score > options.track_thresh)
        high.push_back({tlwh, d.score, d.class_id});
      else if (d.score > kLowScoreThresh && d.score < options.track_thresh)
        low.push_back({tlwh, d.score, d.class_id});
    }
    return update(high, low);
  }
};

Tracker::Tracker(const TrackerOptions& options) : impl_(std::make_unique<Impl>()) {
  auto bad = [](const std::string& what) {
    throw Error(ErrorKind::kInvalidArgument, "tracker: " + what);
  };
  if (!(options.track_thresh >= 0 && options.track_thresh <= 1))
    bad("track_thresh must be in [0, 1], got " + std::to_string(options.track_thresh));
  if (!(options.match_thresh > 0 && options.match_thresh <= 2))
    bad("match_thresh must be in (0, 2], got " + std::to_string(options.match_thresh));
  if (options.track_buffer < 0)
    bad("track_buffer must be >= 0, got " + std::to_string(options.track_buffer));
  if (!(options.frame_rate > 0 && options.frame_rate <= 10000))
    bad("frame_rate must be in (0, 10000], got " + std::to_string(options.frame_rate));
  impl_->options = options;
  // int(frame_rate / 30.0 * track_buffer), truncated as Python's int().
  const double buffer = options.frame_rate / 30.0 * options.track_buffer;
  impl_->max_time_lost = buffer >= std::numeric_limits<int>::max() ? std::numeric_limits<int>::max()
                                                                   : static_cast<int>(buffer);
}

Tracker::~Tracker() = default;
Tracker::Tracker(Tracker&&) noexcept = default;
Tracker& Tracker::operator=(Tracker&&) noexcept = default;

std::vector<Track> Tracker::update(std::span<const TrackerInput> detections) {
  return impl_->split_and_update(detections.size(), [&](size_t k) { return detections[k]; });
}

std::vector<Track> Tracker::update(std::span<const Detection> detections) {
  return impl_->split_and_update(detections.size(), [&](size_t k) {
    const Detection& d = detections[k];
    return TrackerInput{d.box.x1, d.box.y1, d.box.x2, d.box.y2, d.score, d.class_id};
  });
}

int Tracker::frame() const { return impl_->frame_id; }
int Tracker::max_time_lost() const { return impl_->max_time_lost; }
const TrackerOptions& Tracker::options() const { return impl_->options; }

void Tracker::reset() {
  Impl fresh;
  fresh.options = impl_->options;
  fresh.max_time_lost = impl_->max_time_lost;
  *impl_ = std::move(fresh);
}

}  // namespace yoloxrt
