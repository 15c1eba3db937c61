// The generator's randomness: xoshiro256** seeded through SplitMix64. Each resident draws
// from a stream of its own (seed, resident number), so the output for a seed is the same
// whatever order or thread produces it.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>

namespace kangyun::synth {

class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0x9E3779B97F4A7C15ULL);
    for (uint64_t& s : s_) s = SplitMix(x);
  }

  uint64_t Next() {
    uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double Real() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n). REQUIRES: n > 0.
  int64_t Below(int64_t n) { return static_cast<int64_t>(Real() * static_cast<double>(n)); }
  int64_t Between(int64_t lo, int64_t hi) { return lo + Below(hi - lo + 1); }
  bool Chance(double p) { return Real() < p; }
  double Normal(double mean, double sd) {
    // Box-Muller; one value per call keeps the stream position simple.
    double u = 1.0 - Real();
    double v = Real();
    return mean + sd * std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
  }
  int Poisson(double lambda) {
    double limit = std::exp(-lambda), p = 1.0;
    int k = 0;
    do {
      ++k;
      p *= Real();
    } while (p > limit && k < 1000);
    return k - 1;
  }
  // An index drawn with the given (not necessarily normalised) weights.
  size_t Weighted(std::span<const double> weights) {
    double total = 0;
    for (double w : weights) total += w;
    double r = Real() * total;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (r < weights[i]) return i;
      r -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t& x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t s_[4];
};

}  // namespace kangyun::synth
