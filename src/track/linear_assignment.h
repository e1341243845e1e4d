// track/linear_assignment.h - the linear assignment problem, solved with Jonker-Volgenant (LAPJV).
//
// ByteTrack matches tracks to detections with `lap.lapjv(cost, extend_cost=True,
// cost_limit=thresh)`. This is the same algorithm (Jonker & Volgenant 1987: column reduction,
// reduction transfer, two rounds of augmenting row reduction, then shortest augmenting paths), with
// the same scan orders, so that equal-cost alternatives are broken the way `lap` breaks them.
// Private to the track layer. Thread-safe: no shared state (a LapjvSolver is per caller).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace yoloxrt::track {

// The outcome of a rectangular assignment: matched (row, col) pairs in ascending row order, and the
// unmatched rows and columns in ascending order.
struct Assignment {
  std::vector<std::pair<int, int>> matches;
  std::vector<int> unmatched_rows;
  std::vector<int> unmatched_cols;
};

class LapjvSolver {
 public:
  // Solves the square problem: minimises sum_i cost[i * n + x[i]] over permutations x.
  // Returns x (row -> column); `y` receives column -> row. REQUIRES: cost has n * n finite entries.
  // Throws Error(kInvalidArgument) for a non-finite cost.
  const std::vector<int>& solve_square(const double* cost, int n, std::vector<int>* y = nullptr);

  // lap.lapjv(cost, extend_cost=True, cost_limit=limit) followed by ByteTrack's
  // linear_assignment: the rows x cols `cost` (row-major) is padded to the (rows + cols) square
  // whose off-diagonal blocks are limit / 2 and whose bottom-right block is 0, so a pair is matched
  // only when that beats leaving both unmatched (cost > limit never is). An empty matrix leaves
  // everything unmatched. Throws Error(kInvalidArgument) for a non-finite cost or limit.
  Assignment assign(const double* cost, int rows, int cols, double limit);

 private:
  int reduce_columns(int n);
  int augment_row_reduction(int n, int n_free);
  void augment(int n, int n_free);
  int find_path(int n, int start);

  const double* c_ = nullptr;  // the current square matrix
  std::vector<double> padded_, v_, d_;
  std::vector<int> x_, y_, free_, cols_, pred_;
  std::vector<char> unique_;
};

}  // namespace yoloxrt::track
