#include "track/linear_assignment.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "yoloxrt/error.h"

namespace yoloxrt::track {
namespace {

// Exhaustive minimum over permutations.
double brute_force_square(const std::vector<double>& c, int n) {
  std::vector<int> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  do {
    double s = 0;
    for (int i = 0; i < n; ++i) s += c[static_cast<size_t>(i * n + perm[static_cast<size_t>(i)])];
    best = std::min(best, s);
  } while (std::next_permutation(perm.begin(), perm.end()));
  return best;
}

// Exhaustive best partial matching of a rows x cols matrix: minimises sum over matched pairs of
// (cost - limit), i.e. the padded problem of lap.lapjv(extend_cost=True, cost_limit=limit).
double brute_force_limited(const std::vector<double>& c, int rows, int cols, double limit, int row,
                           std::vector<char>& used) {
  if (row == rows) return 0;
  double best = brute_force_limited(c, rows, cols, limit, row + 1, used);  // row unmatched
  for (int j = 0; j < cols; ++j) {
    if (used[static_cast<size_t>(j)]) continue;
    used[static_cast<size_t>(j)] = 1;
    best = std::min(best, c[static_cast<size_t>(row * cols + j)] - limit +
                              brute_force_limited(c, rows, cols, limit, row + 1, used));
    used[static_cast<size_t>(j)] = 0;
  }
  return best;
}

TEST(LapjvSolver, SquareMatchesBruteForceOnRandomMatrices) {
  std::mt19937 rng(7);
  LapjvSolver solver;
  for (int trial = 0; trial < 400; ++trial) {
    const int n = 1 + trial % 7;
    std::vector<double> c(static_cast<size_t>(n * n));
    // Every third matrix has small integer costs, so there are many equal-cost optima.
    std::uniform_real_distribution<double> u(0, 1);
    std::uniform_int_distribution<int> small(0, 3);
    for (double& v : c) v = trial % 3 == 0 ? small(rng) : u(rng);
    std::vector<int> y;
    const std::vector<int> x = solver.solve_square(c.data(), n, &y);
    double total = 0;
    std::vector<char> seen(static_cast<size_t>(n), 0);
    for (int i = 0; i < n; ++i) {
      ASSERT_GE(x[static_cast<size_t>(i)], 0);
      ASSERT_LT(x[static_cast<size_t>(i)], n);
      ASSERT_FALSE(seen[static_cast<size_t>(x[static_cast<size_t>(i)])]) << "not a permutation";
      seen[static_cast<size_t>(x[static_cast<size_t>(i)])] = 1;
      EXPECT_EQ(y[static_cast<size_t>(x[static_cast<size_t>(i)])], i);
      total += c[static_cast<size_t>(i * n + x[static_cast<size_t>(i)])];
    }
    EXPECT_NEAR(total, brute_force_square(c, n), 1e-12) << "trial " << trial << " n " << n;
  }
}

TEST(LapjvSolver, CostLimitMatchesBruteForceAndNeverAssignsAboveTheLimit) {
  std::mt19937 rng(11);
  LapjvSolver solver;
  for (int trial = 0; trial < 300; ++trial) {
    const int rows = 1 + trial % 5, cols = 1 + (trial / 5) % 6;
    const double limit = trial % 2 ? 0.8 : 0.5;
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<double> c(static_cast<size_t>(rows * cols));
    for (double& v : c) v = u(rng) < 0.3 ? 1.0 : u(rng);  // IoU distances: many exact 1s
    const Assignment a = solver.assign(c.data(), rows, cols, limit);
    double gain = 0;
    std::vector<char> row_seen(static_cast<size_t>(rows), 0),
        col_seen(static_cast<size_t>(cols), 0);
    int prev_row = -1;
    for (const auto& [i, j] : a.matches) {
      EXPECT_GT(i, prev_row) << "matches in ascending row order";
      prev_row = i;
      const double v = c[static_cast<size_t>(i * cols + j)];
      EXPECT_LE(v, limit) << "a pair above the cost limit was assigned";
      gain += v - limit;
      row_seen[static_cast<size_t>(i)] = col_seen[static_cast<size_t>(j)] = 1;
    }
    for (int i : a.unmatched_rows) EXPECT_FALSE(row_seen[static_cast<size_t>(i)]);
    for (int j : a.unmatched_cols) EXPECT_FALSE(col_seen[static_cast<size_t>(j)]);
    EXPECT_EQ(a.matches.size() + a.unmatched_rows.size(), static_cast<size_t>(rows));
    EXPECT_EQ(a.matches.size() + a.unmatched_cols.size(), static_cast<size_t>(cols));
    EXPECT_TRUE(std::is_sorted(a.unmatched_rows.begin(), a.unmatched_rows.end()));
    EXPECT_TRUE(std::is_sorted(a.unmatched_cols.begin(), a.unmatched_cols.end()));
    std::vector<char> used(static_cast<size_t>(cols), 0);
    EXPECT_NEAR(gain, brute_force_limited(c, rows, cols, limit, 0, used), 1e-12)
        << "trial " << trial;
  }
}

TEST(LapjvSolver, GreedyIsNotOptimalHere) {
  // Greedy (take the cheapest pair first: (0,0) = 0.1) would then pay 0.75; the optimum pairs
  // (0,1) and (1,0) for 0.3 + 0.3.
  const double c[] = {0.1, 0.3,  //
                      0.3, 0.75};
  LapjvSolver solver;
  const Assignment a = solver.assign(c, 2, 2, 0.8);
  ASSERT_EQ(a.matches.size(), 2u);
  EXPECT_EQ(a.matches[0], std::make_pair(0, 1));
  EXPECT_EQ(a.matches[1], std::make_pair(1, 0));
}

// Matrices with many equal-cost optima: the assignment chosen is the one gatagat/lap's lapjv
// returns (computed with lap's own code), so ties between tracks break as in ByteTrack.
TEST(LapjvSolver, BreaksTiesAsLapDoes) {
  struct Case {
    std::vector<double> cost;
    std::vector<int> lap_x;
  };
  const Case cases[] = {
      {{2, 2, 0, 2, 1, 1, 1, 0, 2, 0, 0, 1, 1, 1, 0, 0, 0, 0,
        0, 2, 0, 1, 2, 0, 0, 1, 0, 2, 0, 2, 2, 2, 0, 1, 1, 1},
       {2, 1, 5, 0, 4, 3}},
      {{1, 2, 1, 0, 2, 1, 2, 0, 1, 2, 0, 0, 1, 2, 0, 2, 1, 0,
        1, 2, 2, 2, 0, 0, 2, 2, 2, 0, 0, 1, 1, 1, 2, 0, 1, 0},
       {3, 1, 2, 0, 4, 5}},
      {{0, 2, 0, 0, 0, 0, 0, 2, 1, 1, 0, 2, 2, 0, 0, 0, 0, 2,
        1, 1, 0, 1, 2, 0, 2, 0, 0, 2, 2, 0, 2, 2, 1, 1, 2, 2},
       {4, 0, 1, 5, 2, 3}},
      {{2, 1, 0, 2, 0, 1, 2, 0, 0, 2, 0, 2, 2, 2, 1, 1, 2, 0,
        1, 1, 1, 0, 0, 2, 2, 1, 2, 1, 0, 2, 0, 0, 0, 1, 0, 2},
       {2, 1, 5, 3, 4, 0}},
  };
  LapjvSolver solver;
  for (const Case& c : cases) EXPECT_EQ(solver.solve_square(c.cost.data(), 6), c.lap_x);
  // lap.lapjv(cost, extend_cost=True, cost_limit=0.8) -> x = [-1, 2, 1, 0], y = [3, 2, 1].
  const double rect[] = {0.5, 0.5, 1.0, 0.5, 0.5, 0.2, 1, 0.4, 0.4, 0.4, 1, 0.4};
  const Assignment a = solver.assign(rect, 4, 3, 0.8);
  EXPECT_EQ(a.matches, (std::vector<std::pair<int, int>>{{1, 2}, {2, 1}, {3, 0}}));
  EXPECT_EQ(a.unmatched_rows, (std::vector<int>{0}));
  EXPECT_TRUE(a.unmatched_cols.empty());
}

TEST(LapjvSolver, EmptyAndDegenerateShapes) {
  LapjvSolver solver;
  const Assignment a = solver.assign(nullptr, 3, 0, 0.8);
  EXPECT_TRUE(a.matches.empty());
  EXPECT_EQ(a.unmatched_rows, (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(a.unmatched_cols.empty());
  const Assignment b = solver.assign(nullptr, 0, 2, 0.8);
  EXPECT_EQ(b.unmatched_cols, (std::vector<int>{0, 1}));
  const double one = 0.9;
  const Assignment c = solver.assign(&one, 1, 1, 0.8);  // above the limit
  EXPECT_TRUE(c.matches.empty());
  const double two = 0.2;
  const Assignment d = solver.assign(&two, 1, 1, 0.8);
  ASSERT_EQ(d.matches.size(), 1u);
}

TEST(LapjvSolver, RefusesNonFiniteCosts) {
  LapjvSolver solver;
  const double c[] = {0.1, std::numeric_limits<double>::quiet_NaN(), 0.2, 0.3};
  EXPECT_THROW(solver.assign(c, 2, 2, 0.8), Error);
  const double ok[] = {0.1, 0.2, 0.3, 0.4};
  EXPECT_THROW(solver.assign(ok, 2, 2, std::numeric_limits<double>::infinity()), Error);
}

}  // namespace
}  // namespace yoloxrt::track
