#include "track/linear_assignment.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "yoloxrt/error.h"

namespace yoloxrt::track {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void check_finite(const double* cost, size_t count) {
  for (size_t k = 0; k < count; ++k)
    if (!std::isfinite(cost[k]))
      throw Error(ErrorKind::kInvalidArgument,
                  "linear assignment: cost entry " + std::to_string(k) + " is not finite");
}

}  // namespace

// Column reduction and reduction transfer. Each column's minimum row takes it (the last column
// wins when one row is the minimum of several); rows that got exactly one column lower that
// column's dual by their second-best reduced cost. Returns the number of rows left free.
int LapjvSolver::reduce_columns(int n) {
  const double* c = c_;
  for (int j = 0; j < n; ++j) {
    v_[j] = kInf;
    y_[j] = 0;
  }
  for (int i = 0; i < n; ++i) {
    x_[i] = -1;
    unique_[i] = 1;
  }
  for (int i = 0; i < n; ++i) {
    const double* row = c + static_cast<size_t>(i) * n;
    for (int j = 0; j < n; ++j)
      if (row[j] < v_[j]) {
        v_[j] = row[j];
        y_[j] = i;
      }
  }
  for (int j = n - 1; j >= 0; --j) {
    const int i = y_[j];
    if (x_[i] < 0) {
      x_[i] = j;
    } else {
      unique_[i] = 0;
      y_[j] = -1;
    }
  }
  int n_free = 0;
  for (int i = 0; i < n; ++i) {
    if (x_[i] < 0) {
      free_[n_free++] = i;
    } else if (unique_[i]) {
      const int j = x_[i];
      const double* row = c + static_cast<size_t>(i) * n;
      double second = kInf;
      for (int k = 0; k < n; ++k)
        if (k != j && row[k] - v_[k] < second) second = row[k] - v_[k];
      v_[j] -= second;
    }
  }
  return n_free;
}

// One round of augmenting row reduction over the free rows: a free row takes its cheapest column
// (in reduced costs), lowering that column's dual by the gap to the second cheapest when it can
// (then the evicted row is processed next), else taking the second cheapest. The iteration count
// is bounded (current * n) as in `lap`. Returns the number of rows still free.
int LapjvSolver::augment_row_reduction(int n, int n_free) {
  const double* c = c_;
  int current = 0, still_free = 0;
  long long steps = 0;
  while (current < n_free) {
    ++steps;
    const int i = free_[current++];
    const double* row = c + static_cast<size_t>(i) * n;
    int j1 = 0, j2 = -1;
    double u1 = row[0] - v_[0], u2 = kInf;
    for (int j = 1; j < n; ++j) {
      const double r = row[j] - v_[j];
      if (r < u2) {
        if (r >= u1) {
          u2 = r;
          j2 = j;
        } else {
          u2 = u1;
          u1 = r;
          j2 = j1;
          j1 = j;
        }
      }
    }
    int i0 = y_[j1];
    const double lowered = v_[j1] - (u2 - u1);
    const bool lowers = lowered < v_[j1];
    if (steps < static_cast<long long>(current) * n) {
      if (lowers) {
        v_[j1] = lowered;
      } else if (i0 >= 0 && j2 >= 0) {
        j1 = j2;
        i0 = y_[j2];
      }
      if (i0 >= 0) {
        if (lowers)
          free_[--current] = i0;
        else
          free_[still_free++] = i0;
      }
    } else if (i0 >= 0) {
      free_[still_free++] = i0;
    }
    x_[i] = j1;
    y_[j1] = i;
  }
  return still_free;
}

// Dijkstra-like search in reduced costs from the free row `start` for the nearest unassigned
// column. cols_ is partitioned into READY [0, lo), SCAN [lo, hi) (all at the current minimum
// distance) and TODO [hi, n). Updates the duals of the READY columns; returns the column found and
// leaves the path in pred_.
int LapjvSolver::find_path(int n, int start) {
  const double* c = c_;
  const double* srow = c + static_cast<size_t>(start) * n;
  for (int j = 0; j < n; ++j) {
    cols_[j] = j;
    pred_[j] = start;
    d_[j] = srow[j] - v_[j];
  }
  int lo = 0, hi = 0, n_ready = 0, found = -1;
  while (found < 0) {
    if (lo == hi) {
      // Move the TODO columns at the minimum distance into SCAN.
      n_ready = lo;
      hi = lo + 1;
      double mind = d_[cols_[lo]];
      for (int k = hi; k < n; ++k) {
        const int j = cols_[k];
        if (d_[j] <= mind) {
          if (d_[j] < mind) {
            hi = lo;
            mind = d_[j];
          }
          cols_[k] = cols_[hi];
          cols_[hi++] = j;
        }
      }
      for (int k = lo; k < hi; ++k)
        if (y_[cols_[k]] < 0) found = cols_[k];
      if (found >= 0) break;
    }
    // Scan: relax the TODO columns through the rows assigned to SCAN columns.
    int scan_lo = lo, scan_hi = hi;
    while (scan_lo != scan_hi && found < 0) {
      const int j = cols_[scan_lo++];
      const int i = y_[j];
      const double mind = d_[j];
      const double* row = c + static_cast<size_t>(i) * n;
      const double h = row[j] - v_[j] - mind;
      for (int k = scan_hi; k < n; ++k) {
        const int jj = cols_[k];
        const double reduced = row[jj] - v_[jj] - h;
        if (reduced < d_[jj]) {
          d_[jj] = reduced;
          pred_[jj] = i;
          if (reduced == mind) {
            if (y_[jj] < 0) {
              found = jj;
              break;
            }
            cols_[k] = cols_[scan_hi];
            cols_[scan_hi++] = jj;
          }
        }
      }
    }
    if (found < 0) {
      lo = scan_lo;
      hi = scan_hi;
    }
  }
  const double mind = d_[cols_[lo]];
  for (int k = 0; k < n_ready; ++k) {
    const int j = cols_[k];
    v_[j] += d_[j] - mind;
  }
  return found;
}

// Augments along a shortest path from every remaining free row, in order.
void LapjvSolver::augment(int n, int n_free) {
  for (int f = 0; f < n_free; ++f) {
    const int start = free_[f];
    int j = find_path(n, start);
    int i = -1;
    // Flip the path back to its start: each column on it takes its predecessor row.
    for (int steps = 0; i != start && steps <= n; ++steps) {
      i = pred_[j];
      y_[j] = i;
      std::swap(j, x_[i]);
    }
  }
}

const std::vector<int>& LapjvSolver::solve_square(const double* cost, int n, std::vector<int>* y) {
  if (n < 0) throw Error(ErrorKind::kInvalidArgument, "linear assignment: negative size");
  check_finite(cost, static_cast<size_t>(n) * static_cast<size_t>(n));
  const size_t un = static_cast<size_t>(n);
  x_.assign(un, -1);
  y_.assign(un, -1);
  v_.resize(un);
  d_.resize(un);
  free_.resize(un);
  cols_.resize(un);
  pred_.resize(un);
  unique_.resize(un);
  c_ = cost;
  if (n == 1) {
    x_[0] = y_[0] = 0;
  } else if (n > 1) {
    int n_free = reduce_columns(n);
    for (int round = 0; round < 2 && n_free > 0; ++round) n_free = augment_row_reduction(n, n_free);
    if (n_free > 0) augment(n, n_free);
  }
  c_ = nullptr;
  if (y) *y = y_;
  return x_;
}

Assignment LapjvSolver::assign(const double* cost, int rows, int cols, double limit) {
  if (rows < 0 || cols < 0)
    throw Error(ErrorKind::kInvalidArgument, "linear assignment: negative size");
  if (!std::isfinite(limit))
    throw Error(ErrorKind::kInvalidArgument, "linear assignment: the cost limit must be finite");
  Assignment out;
  if (rows == 0 || cols == 0) {
    for (int i = 0; i < rows; ++i) out.unmatched_rows.push_back(i);
    for (int j = 0; j < cols; ++j) out.unmatched_cols.push_back(j);
    return out;
  }
  check_finite(cost, static_cast<size_t>(rows) * static_cast<size_t>(cols));
  const int n = rows + cols;
  const size_t un = static_cast<size_t>(n);
  padded_.assign(un * un, limit / 2.);
  for (int i = rows; i < n; ++i)
    for (int j = cols; j < n; ++j) padded_[static_cast<size_t>(i) * un + j] = 0.;
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j)
      padded_[static_cast<size_t>(i) * un + j] = cost[static_cast<size_t>(i) * cols + j];
  const std::vector<int>& x = solve_square(padded_.data(), n);
  for (int i = 0; i < rows; ++i) {
    if (x[i] < cols)
      out.matches.emplace_back(i, x[i]);
    else
      out.unmatched_rows.push_back(i);
  }
  for (int j = 0; j < cols; ++j)
    if (y_[j] >= rows) out.unmatched_cols.push_back(j);
  return out;
}

}  // namespace yoloxrt::track
