// The arithmetic of calibration by history matching: a space-filling design, the implausibility
// of a parameter set against targets, the proposal of the next wave around the sets not ruled
// out (and its density), and the approximate posterior by sampling-importance-resampling.
// Pure functions on plain arrays, checked against hand-worked examples; the calibration driver
// (sim/app/run/calibration.hpp) runs the model and stores what these compute.
//
// Parameter sets live here in the unit cube [0, 1]^p: each parameter's bounds, on its own scale
// (linear, log or logit), mapped to [0, 1]. Points are rows of a row-major array (point i,
// coordinate d at [i * p + d]).
#pragma once

#include "random.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace recoverysim::analysis {

// ---- Design ------------------------------------------------------------------------------

// A Latin hypercube of n points in [0, 1]^p: each coordinate puts exactly one point in each of
// the n strata [k/n, (k+1)/n), at a uniform position within it. Of `candidates` hypercubes
// drawn, the one whose smallest distance between two points is largest (maximin). Every draw
// comes from `key` and `stream`, so the design depends on nothing else. Row-major, n x p.
std::vector<double> maximin_latin_hypercube(std::size_t n, std::size_t p, RandomKey key, std::uint32_t stream,
                                            std::size_t candidates = 20);

// ---- Implausibility ----------------------------------------------------------------------

// What is known of one target's fit at one parameter set.
struct TargetFit {
  double observed = 0.0;              // z
  double observation_variance = 0.0;  // of z (sampling)
  double discrepancy_variance = 0.0;  // the model's stated discrepancy
  double model_mean = 0.0;            // mean over the replicates, E[f]
  double model_variance = 0.0;        // variance of that mean (replicate variance / replicates)
};

// |z - E[f]| / sqrt(V_obs + V_disc + V_model). Infinite when the variances sum to 0 and the
// values differ; 0 when they are equal. NaN model mean: +infinity (a set whose model cannot
// give the quantity is ruled out).
double implausibility(const TargetFit& fit);

// The largest of the implausibilities, or the k-th largest (k = 2: the second largest, k = 3:
// the third), which a few badly fitting targets cannot make large alone; with fewer values
// than k, the smallest. Empty: 0.
double largest_implausibility(std::span<const double> implausibilities, std::size_t k = 1);

// The log of the Gaussian likelihood of the targets, sum over k of
// weight_k * log N(z_k; E[f_k], V_obs + V_disc + V_model). -infinity for a NaN model mean or a
// zero total variance with unequal values.
double log_likelihood(std::span<const TargetFit> fits, std::span<const double> weights);

// ---- Proposal of the next wave -----------------------------------------------------------

// A mixture in [0, 1]^p: with probability `uniform_share` a uniform point of the cube; else a
// centre chosen uniformly among `centres` (rows, m x p) plus a Gaussian step with independent
// coordinates of standard deviations `scales` (p of them), truncated to [0, 1] coordinate by
// coordinate (each coordinate drawn from its truncated normal). No centres: uniform.
struct Proposal {
  std::vector<double> centres;  // row-major, m x p
  std::vector<double> scales;   // p
  std::size_t dimensions = 0;
  double uniform_share = 1.0;
};

// The proposal around the sets `kept` (rows, m x p): each coordinate's scale is sqrt(2) times
// its weighted standard deviation over the kept sets (equal weights), at least `min_scale` (so
// that a coordinate every kept set shares still moves); uniform_share as given.
Proposal proposal_around(std::span<const double> kept, std::size_t p, double uniform_share, double min_scale = 0.01);

// n points from the proposal, row-major n x p, from `key` and `stream` only.
std::vector<double> draw_from(const Proposal& q, std::size_t n, RandomKey key, std::uint32_t stream);

// The proposal's density at x (p coordinates in [0, 1]), with the truncation of each
// coordinate normalised exactly (normal CDF differences). 0 outside the cube.
double density(const Proposal& q, std::span<const double> x);

// ---- Posterior ---------------------------------------------------------------------------

// Importance weights, normalised to sum 1, from log target density minus log proposal density
// of each point (log prior + log likelihood - log q): w_i proportional to exp(log_w_i - max).
// Points with -infinity get 0. All -infinity: every weight 0.
std::vector<double> normalised_weights(std::span<const double> log_weights);

// Kish's effective sample size of normalised weights, 1 / sum w_i^2 (0 if all are 0).
double effective_sample_size(std::span<const double> weights);

// Systematic resampling: `n` indices into `weights` (normalised), each index i appearing
// floor or ceil of n w_i times, in increasing order, from a single uniform drawn from `key`
// and `stream`.
std::vector<std::size_t> systematic_resample(std::span<const double> weights, std::size_t n, RandomKey key,
                                             std::uint32_t stream);

// The weighted quantile q in [0, 1] of x (weights normalised, NaN x left out): the smallest x
// whose cumulative weight (in increasing order of x) reaches q. NaN if no weight.
double weighted_quantile(std::span<const double> x, std::span<const double> weights, double q);

// Spearman's rank correlation of x and y (ties get their mean rank); NaN if either is constant
// or fewer than 3 pairs. Pairs with a NaN on either side are left out.
double rank_correlation(std::span<const double> x, std::span<const double> y);

}  // namespace recoverysim::analysis
