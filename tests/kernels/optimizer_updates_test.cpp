// The optimizer updates (kernels/optimizer_updates.hpp): the path of the ISA this file is compiled
// for against the scalar twins in ref.hpp over several steps, on awkward lengths and misaligned
// buffers, and their finiteness flag on an overflow, a NaN and an infinity in any lane.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deepfm/kernels/isa.hpp>
#include <deepfm/kernels/optimizer_updates.hpp>
#include <deepfm/kernels/ref.hpp>
#include <iostream>
#include <limits>
#include <string_view>
#include <vector>

#include "support/random_values.hpp"

namespace {

namespace kernels = deepfm::kernels;
using deepfm::test::random_values;

template <typename T>
std::vector<std::size_t> lengths() {
  const std::size_t l = kernels::simd::Vec<T>::lanes;
  return {0, 1, l > 1 ? l - 1 : 2, l, l + 1, 2 * l + 3, 10, 100};
}

template <typename T>
kernels::ref::AdamStep<T> adam_step(int t, T l2) {
  const double beta1 = 0.9, beta2 = 0.999;
  return {static_cast<T>(0.01 / (1 - std::pow(beta1, t))),
          static_cast<T>(std::sqrt(1 - std::pow(beta2, t))),
          T(0.9),
          T(0.999),
          static_cast<T>(1 - beta1),
          static_cast<T>(1 - beta2),
          T(1e-8),
          l2};
}

/// Five steps from the same state through both paths: each value within `ulps` units in the
/// last place of ref's (an FMA may round once where ref rounds twice, and it compounds). The
/// inputs and every term are of order 1, so a difference is measured against max(|value|, 1):
/// where a sum cancels (m = 0.9 m + 0.1 g near 0), its rounding is that of its terms.
template <typename T>
void check_close(const std::vector<T>& simd, const std::vector<T>& ref, double ulps) {
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double scale = std::max(std::abs(double(ref[i])), 1.0);
    CHECK(std::abs(double(simd[i]) - double(ref[i])) <=
          ulps * std::numeric_limits<T>::epsilon() * scale);
  }
}

}  // namespace

TEST_CASE("optimizer updates report the ISA they run", "[kernels]") {
  std::cout << "optimizer_updates: kIsa = " << kernels::isa_name(kernels::kIsa) << "\n";
#if defined(DEEPFM_TEST_EXPECTED_ISA)
  CHECK(kernels::isa_name(kernels::kIsa) == std::string_view(DEEPFM_TEST_EXPECTED_ISA));
#endif
}

TEMPLATE_TEST_CASE("simd Adam, Adagrad and SGD follow ref within a few ulps over five steps",
                   "[kernels]", float, double) {
  using T = TestType;
  std::uint16_t stream = 200;
  for (const std::size_t n : lengths<T>())
    for (const T l2 : {T(0), T(0.01)}) {
      CAPTURE(n, l2);
      const auto p0 = random_values<T>(n + 1, ++stream);
      const auto m0 = random_values<T>(n + 1, ++stream);
      const auto v0 = random_values<T>(n + 1, ++stream, 0.0, 1.0);
      std::vector<T> p = p0, m = m0, v = v0, pr = p0, mr = m0, vr = v0;  // [0] is a guard
      std::vector<T> h = v0, hr = v0, q = p0, qr = p0, z = p0, zr = p0, mz = m0, vz = v0, mzr = m0,
                     vzr = v0;
      for (int t = 1; t <= 5; ++t) {
        const auto grad = random_values<T>(n + 1, static_cast<std::uint16_t>(++stream));
        const auto s = adam_step<T>(t, l2);
        CHECK(kernels::simd::adam_update(p.data() + 1, grad.data() + 1, m.data() + 1, v.data() + 1,
                                         n, s));
        CHECK(kernels::ref::adam_update(pr.data() + 1, grad.data() + 1, mr.data() + 1,
                                        vr.data() + 1, n, s));
        CHECK(
            kernels::simd::adam_update_zero_grad(z.data() + 1, mz.data() + 1, vz.data() + 1, n, s));
        CHECK(kernels::ref::adam_update_zero_grad(zr.data() + 1, mzr.data() + 1, vzr.data() + 1, n,
                                                  s));
        CHECK(kernels::simd::adagrad_update(q.data() + 1, grad.data() + 1, h.data() + 1, n, T(0.1),
                                            T(1e-10), l2));
        CHECK(kernels::ref::adagrad_update(qr.data() + 1, grad.data() + 1, hr.data() + 1, n, T(0.1),
                                           T(1e-10), l2));
      }
      check_close(p, pr, 16);
      check_close(m, mr, 16);
      check_close(v, vr, 16);
      check_close(z, zr, 16);
      check_close(mz, mzr, 16);
      check_close(vz, vzr, 16);
      check_close(q, qr, 16);
      check_close(h, hr, 16);
      // The guard element before each buffer is untouched.
      CHECK(p[0] == p0[0]);
      CHECK(q[0] == p0[0]);

      std::vector<T> s = p0, sr = p0;
      const auto grad = random_values<T>(n + 1, ++stream);
      CHECK(kernels::simd::sgd_update(s.data() + 1, grad.data() + 1, n, T(0.1), l2));
      CHECK(kernels::ref::sgd_update(sr.data() + 1, grad.data() + 1, n, T(0.1), l2));
      check_close(s, sr, 4);
    }
}

TEMPLATE_TEST_CASE("simd optimizer updates flag a non-finite value in any lane", "[kernels]", float,
                   double) {
  using T = TestType;
  const std::size_t n = 2 * kernels::simd::Vec<T>::lanes + 3;
  const T inf = std::numeric_limits<T>::infinity();
  for (std::size_t at = 0; at < n; ++at)
    for (const T bad : {inf, -inf, std::numeric_limits<T>::quiet_NaN()}) {
      CAPTURE(at, bad);
      std::vector<T> p(n, T(0.5)), grad(n, T(0.1)), m(n, T(0)), v(n, T(0));
      grad[at] = bad;
      CHECK_FALSE(kernels::simd::adam_update(p.data(), grad.data(), m.data(), v.data(), n,
                                             adam_step<T>(1, T(0))));
      std::vector<T> q(n, T(0.5)), h(n, T(0));
      CHECK_FALSE(kernels::simd::adagrad_update(q.data(), grad.data(), h.data(), n, T(0.1),
                                                T(1e-10), T(0)));
      std::vector<T> s(n, T(0.5));
      CHECK_FALSE(kernels::simd::sgd_update(s.data(), grad.data(), n, T(0.1), T(0)));
      std::vector<T> z(n, T(0.5)), mz(n, T(0)), vz(n, T(0));
      z[at] = bad;
      CHECK_FALSE(kernels::simd::adam_update_zero_grad(z.data(), mz.data(), vz.data(), n,
                                                       adam_step<T>(1, T(0.01))));
    }
  // A finite gradient whose square overflows v is caught too, as ref catches it.
  std::vector<T> p(n, T(0.5)), grad(n, T(0.1)), m(n, T(0)), v(n, T(0));
  grad[n - 1] = std::numeric_limits<T>::max() / 2;
  std::vector<T> pr = p, mr = m, vr = v;
  CHECK_FALSE(kernels::simd::adam_update(p.data(), grad.data(), m.data(), v.data(), n,
                                         adam_step<T>(1, T(0))));
  CHECK_FALSE(kernels::ref::adam_update(pr.data(), grad.data(), mr.data(), vr.data(), n,
                                        adam_step<T>(1, T(0))));
}
