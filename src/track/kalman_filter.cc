#include "track/kalman_filter.h"

#include <cmath>

namespace yoloxrt::track {
namespace {

constexpr double kStdWeightPosition = 1. / 20;
constexpr double kStdWeightVelocity = 1. / 160;

}  // namespace

KalmanState kalman_initiate(const Measurement& z) {
  KalmanState s;
  for (int k = 0; k < 4; ++k) s.mean[static_cast<size_t>(k)] = z[static_cast<size_t>(k)];
  const double h = z[3];
  const double std[8] = {
      2 * kStdWeightPosition * h,  2 * kStdWeightPosition * h,  1e-2, 2 * kStdWeightPosition * h,
      10 * kStdWeightVelocity * h, 10 * kStdWeightVelocity * h, 1e-5, 10 * kStdWeightVelocity * h};
  for (int k = 0; k < 8; ++k) s.p(k, k) = std[k] * std[k];
  return s;
}

void kalman_predict(KalmanState& s) {
  // F = [[I, I], [0, I]] (dt = 1). Written out, F cov F^T and F mean are sums of two entries each;
  // the values are the same as numpy's dense products (the other terms are exact zeros).
  const double h = s.mean[3];
  const double pos = kStdWeightPosition * h, vel = kStdWeightVelocity * h;
  const double q[8] = {pos * pos, pos * pos, 1e-2 * 1e-2, pos * pos,
                       vel * vel, vel * vel, 1e-5 * 1e-5, vel * vel};
  double a[8][8];  // F cov
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 8; ++c) a[r][c] = r < 4 ? s.p(r, c) + s.p(r + 4, c) : s.p(r, c);
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 8; ++c) {
      const double v = c < 4 ? a[r][c] + a[r][c + 4] : a[r][c];
      s.p(r, c) = r == c ? v + q[r] : v;
    }
  for (int k = 0; k < 4; ++k) s.mean[static_cast<size_t>(k)] += s.mean[static_cast<size_t>(k + 4)];
}

void kalman_update(KalmanState& s, const Measurement& z) {
  const double h = s.mean[3];
  const double pos = kStdWeightPosition * h;
  const double r[4] = {pos * pos, pos * pos, 1e-1 * 1e-1, pos * pos};
  // Projected covariance S = H cov H^T + R (H selects the first four states).
  double sp[4][4];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) sp[i][j] = i == j ? s.p(i, j) + r[i] : s.p(i, j);
  // Cholesky S = L L^T from the lower triangle (scipy cho_factor(lower=True)).
  double l[4][4] = {};
  for (int j = 0; j < 4; ++j) {
    double d = sp[j][j];
    for (int k = 0; k < j; ++k) d -= l[j][k] * l[j][k];
    l[j][j] = std::sqrt(d);
    for (int i = j + 1; i < 4; ++i) {
      double v = sp[i][j];
      for (int k = 0; k < j; ++k) v -= l[i][k] * l[j][k];
      l[i][j] = v / l[j][j];
    }
  }
  // Kalman gain: S X = (cov H^T)^T, K = X^T (8 x 4).
  double x[4][8];
  for (int c = 0; c < 8; ++c) {
    double y[4];
    for (int i = 0; i < 4; ++i) {
      double v = s.p(c, i);
      for (int k = 0; k < i; ++k) v -= l[i][k] * y[k];
      y[i] = v / l[i][i];
    }
    for (int i = 3; i >= 0; --i) {
      double v = y[i];
      for (int k = i + 1; k < 4; ++k) v -= l[k][i] * x[k][c];
      x[i][c] = v / l[i][i];
    }
  }
  double innovation[4];
  for (int k = 0; k < 4; ++k)
    innovation[k] = z[static_cast<size_t>(k)] - s.mean[static_cast<size_t>(k)];
  for (int i = 0; i < 8; ++i) {
    double v = 0;
    for (int k = 0; k < 4; ++k) v += innovation[k] * x[k][i];
    s.mean[static_cast<size_t>(i)] += v;
  }
  // cov <- cov - K (S K^T).
  double t[4][8];
  for (int rr = 0; rr < 4; ++rr)
    for (int j = 0; j < 8; ++j) {
      double v = 0;
      for (int k = 0; k < 4; ++k) v += sp[rr][k] * x[k][j];
      t[rr][j] = v;
    }
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) {
      double v = 0;
      for (int k = 0; k < 4; ++k) v += x[k][i] * t[k][j];
      s.p(i, j) -= v;
    }
}

}  // namespace yoloxrt::track
