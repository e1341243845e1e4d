// track/kalman_filter.h - ByteTrack's Kalman filter for boxes (yolox/tracker/kalman_filter.py).
//
// An 8-state constant-velocity filter on (cx, cy, a, h, vcx, vcy, va, vh): box centre, aspect
// ratio w / h and height, all in pixels (a unitless), with one frame as the time step. Process and
// measurement noise scale with the height: std weights 1/20 (position) and 1/160 (velocity), and
// fixed 1e-2 / 1e-5 (aspect, predict) and 1e-1 (aspect, measurement). Everything is double
// precision, as the reference's numpy float64. Private to the track layer; pure functions.
#pragma once

#include <array>
#include <cstddef>

namespace yoloxrt::track {

using Measurement = std::array<double, 4>;  // (cx, cy, a, h)

struct KalmanState {
  std::array<double, 8> mean{};
  std::array<double, 64> cov{};  // row-major 8 x 8

  double& p(int r, int c) { return cov[static_cast<std::size_t>(r * 8 + c)]; }
  double p(int r, int c) const { return cov[static_cast<std::size_t>(r * 8 + c)]; }
};

// A new state from an unassociated measurement: velocities 0, diagonal covariance
// (2 w_pos h, 2 w_pos h, 1e-2, 2 w_pos h, 10 w_vel h, 10 w_vel h, 1e-5, 10 w_vel h)^2.
KalmanState kalman_initiate(const Measurement& z);

// Prediction step: mean <- F mean, cov <- F cov F^T + Q, Q from the height before the step.
void kalman_predict(KalmanState& s);

// Correction step with measurement z (Cholesky solve of the projected covariance).
void kalman_update(KalmanState& s, const Measurement& z);

}  // namespace yoloxrt::track
