// Random streams: Philox known answers, addressing, and the transforms' distributions.
#include "random.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

using namespace recoverysim;

TEST_CASE("philox4x32-10 reproduces Random123's known-answer vectors") {
  // kat_vectors from Random123: philox4x32 10 rounds.
  auto run = [](std::array<std::uint32_t, 4> c, std::array<std::uint32_t, 2> k) {
    const Philox::ctr_type ctr = {{c[0], c[1], c[2], c[3]}};
    const Philox::key_type key = {{k[0], k[1]}};
    const auto out = Philox{}(ctr, key);
    return std::array<std::uint32_t, 4>{out.v[0], out.v[1], out.v[2], out.v[3]};
  };
  CHECK(run({0, 0, 0, 0}, {0, 0}) == std::array<std::uint32_t, 4>{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(run({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
        std::array<std::uint32_t, 4>{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(run({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
        std::array<std::uint32_t, 4>{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("philox_block is addressed by (seed, replicate) and (agent, day, stream, draw)") {
  const RandomKey key{7, 3};
  const auto a = philox_block(key, 10, 20, 0, 0);
  CHECK(a == philox_block(key, 10, 20, 0, 0));
  CHECK(a != philox_block(key, 11, 20, 0, 0));
  CHECK(a != philox_block(key, 10, 21, 0, 0));
  CHECK(a != philox_block(key, 10, 20, 1, 0));
  CHECK(a != philox_block(key, 10, 20, 0, 1));
  CHECK(a != philox_block({7, 4}, 10, 20, 0, 0));
  CHECK(a != philox_block({8, 3}, 10, 20, 0, 0));
}

namespace {
// Sample mean and its standard error.
struct MeanSe {
  double mean, se;
};
MeanSe summarise(const std::vector<double>& x) {
  double s = 0, ss = 0;
  for (double v : x) s += v;
  const double mean = s / static_cast<double>(x.size());
  for (double v : x) ss += (v - mean) * (v - mean);
  const double var = ss / static_cast<double>(x.size() - 1);
  return {mean, std::sqrt(var / static_cast<double>(x.size()))};
}
}  // namespace

TEST_CASE("uniform transforms stay in the open interval") {
  CHECK(to_open_unit(0) > 0.0);
  CHECK(to_open_unit(0xffffffffu) < 1.0);
  CHECK_FALSE(bernoulli(0, 0.0));
  CHECK(bernoulli(0xffffffffu, 1.0));
  CHECK(hazard_to_probability(0.0) == 0.0);
  CHECK(hazard_to_probability(1.0) == doctest::Approx(1.0 - std::exp(-1.0)));
}

// Statistical tests: 200,000 draws with a fixed key; tolerance 4 standard errors.
TEST_CASE("bernoulli, geometric, categorical and beta draws have the requested moments (4 SE)") {
  constexpr int n = 200000;
  const RandomKey key{12345, 0};
  std::vector<double> coin, geom, beta22, beta23, gamma_half;
  std::array<int, 3> category{};
  const std::array<double, 3> cumulative = {0.5, 0.8, 1.0};
  for (int i = 0; i < n; ++i) {
    const auto u = philox_block(key, static_cast<std::uint32_t>(i), 0, 99, 0);
    coin.push_back(bernoulli(u[0], 0.3) ? 1.0 : 0.0);
    geom.push_back(geometric_from_mean(u[1], 7.0));
    ++category[categorical(u[2], cumulative)];
    DrawSequence seq(key, static_cast<std::uint32_t>(i), 0, 100);
    beta22.push_back(seq.next_beta(2, 2));
    beta23.push_back(seq.next_beta(2, 3));
    gamma_half.push_back(seq.next_gamma(0.5));
  }
  const auto within = [](MeanSe s, double expected) { return std::fabs(s.mean - expected) <= 4.0 * s.se; };
  CHECK(within(summarise(coin), 0.3));
  CHECK(within(summarise(geom), 7.0));
  CHECK(*std::min_element(geom.begin(), geom.end()) == 1.0);
  CHECK(within(summarise(beta22), 0.5));
  CHECK(within(summarise(beta23), 0.4));
  CHECK(within(summarise(gamma_half), 0.5));
  // Variance of Beta(2,3) is ab / ((a+b)^2 (a+b+1)) = 6/150 = 0.04.
  std::vector<double> sq;
  for (double b : beta23) sq.push_back((b - 0.4) * (b - 0.4));
  CHECK(within(summarise(sq), 0.04));
  for (int c = 0; c < 3; ++c) {
    const double p = cumulative[static_cast<std::size_t>(c)] - (c ? cumulative[static_cast<std::size_t>(c - 1)] : 0.0);
    const double se = std::sqrt(p * (1 - p) / n);
    CHECK(std::fabs(category[static_cast<std::size_t>(c)] / double(n) - p) <= 4 * se);
  }
}

TEST_CASE("philox_lanes gives philox_block's numbers, lane by lane") {
  for (const RandomKey key : {RandomKey{0, 0}, RandomKey{7, 3}, RandomKey{0xffffffffu, 0xfffffffeu}}) {
    for (const std::uint32_t first : {0u, 12345u, 0xffffffc0u}) {
      std::uint32_t out[4][64];
      philox_lanes<64>(key, first, 17, 3, 2, out);
      for (std::uint32_t l = 0; l < 64; ++l) {
        const auto block = philox_block(key, first + l, 17, 3, 2);
        for (std::size_t j = 0; j < 4; ++j) REQUIRE(out[j][l] == block[j]);
      }
    }
  }
}
