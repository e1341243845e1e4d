#include "track/kalman_filter.h"

#include <gtest/gtest.h>

#include <cmath>

namespace yoloxrt::track {
namespace {

TEST(KalmanFilter, InitiateSetsHeightScaledCovariance) {
  const KalmanState s = kalman_initiate({100, 50, 0.5, 40});
  EXPECT_EQ(s.mean[0], 100);
  EXPECT_EQ(s.mean[3], 40);
  for (int k = 4; k < 8; ++k) EXPECT_EQ(s.mean[static_cast<size_t>(k)], 0);
  EXPECT_DOUBLE_EQ(s.p(0, 0), std::pow(2 * 40 / 20.0, 2));
  EXPECT_DOUBLE_EQ(s.p(2, 2), 1e-4);
  EXPECT_DOUBLE_EQ(s.p(4, 4), std::pow(10 * 40 / 160.0, 2));
  EXPECT_DOUBLE_EQ(s.p(6, 6), 1e-10);
  EXPECT_EQ(s.p(0, 4), 0);
}

TEST(KalmanFilter, PredictMovesByTheVelocity) {
  KalmanState s = kalman_initiate({100, 50, 0.5, 40});
  s.mean[4] = 2;
  s.mean[7] = -1;
  kalman_predict(s);
  EXPECT_EQ(s.mean[0], 102);
  EXPECT_EQ(s.mean[3], 39);
  // F P F^T: the position variance gains the velocity variance, plus Q (from h = 40).
  EXPECT_DOUBLE_EQ(s.p(0, 0), 16 + 6.25 + 4);
  EXPECT_DOUBLE_EQ(s.p(0, 4), 6.25);
}

// ByteTrack's KalmanFilter (yolox/tracker/kalman_filter.py, numpy float64) on the sequence
// initiate, predict, update, predict, predict, update; values printed by the reference.
TEST(KalmanFilter, MatchesByteTracksFilterOnASequence) {
  KalmanState s = kalman_initiate({100., 50., 0.5, 40.});
  kalman_predict(s);
  kalman_update(s, {102., 51., 0.52, 41.});
  kalman_predict(s);
  kalman_predict(s);
  kalman_update(s, {106., 53., 0.5, 42.});
  const double mean[8] = {105.62994266219313,     52.814971331096565, 0.50037721665660406,
                          41.922608200987504,     1.3629736568691093, 0.68148682843455466,
                          1.7351939421450237e-10, 0.40523727920099128};
  // clang-format off
  const double cov[64] = {
      3.8017352648895688, 0, 0, 0, 1.1769061470555524, 0, 0, 0,
      0, 3.8017352648895688, 0, 0, 0, 1.1769061470555524, 0, 0,
      0, 0, 0.00038098959080496705, 0, 0, 0, 5.7525454126868114e-10, 0,
      0, 0, 0, 3.8017352648895688, 0, 0, 0, 1.1769061470555524,
      1.1769061470555506, 0, 0, 0, 2.1317969981762732, 0, 0, 0,
      0, 1.1769061470555506, 0, 0, 0, 2.1317969981762732, 0, 0,
      0, 0, 5.7525454126868114e-10, 0, 0, 0, 3.9999996461713063e-10, 0,
      0, 0, 0, 1.1769061470555506, 0, 0, 0, 2.1317969981762732};
  // clang-format on
  for (int k = 0; k < 8; ++k)
    EXPECT_NEAR(s.mean[static_cast<size_t>(k)], mean[k], 1e-12 * (1 + std::abs(mean[k]))) << k;
  for (int k = 0; k < 64; ++k)
    EXPECT_NEAR(s.cov[static_cast<size_t>(k)], cov[k], 1e-12 * (1 + std::abs(cov[k]))) << k;
}

}  // namespace
}  // namespace yoloxrt::track
