#pragma once
/// @file
/// The three matrix products of a fully connected layer, written against the ISA layer
/// (simd.hpp) for the small shapes of CTR models (MLP 30-20-10 over a few hundred inputs),
/// where a library GEMM spends more on packing and dispatch than on arithmetic.
///
/// Every output element is one fixed chain of operations, whatever the number of rows, the
/// register block it falls in or the thread that computes it:
///   - forward and the input gradient are per row: a row's result does not depend on the
///     other rows of the batch (a one-row request scores as it would in a batch of 4096);
///   - the weight gradient sums over the rows in row order, one output element per thread,
///     so it is the same for any split of the work across threads.
/// Their scalar twins in ref.hpp define the results; these agree with them within rounding
/// (the lanes split a dot product's sum, and FMA rounds once).

#include <algorithm>
#include <cstddef>

#include "deepfm/kernels/simd.hpp"

namespace deepfm::kernels::simd {

/// Inputs from which dense_forward uses its wide register block where it has one.
inline constexpr std::size_t kWideBlockMinimumInputs = 128;

namespace detail {

/// Calls body.template operator()<R, C>() with compile-time R = rows, C = cols (each from 1
/// to the block's full size), so the register block of every remainder is unrolled too.
template <std::size_t MaxR, std::size_t MaxC, typename Body>
void with_block(std::size_t rows, std::size_t cols, Body&& body) {
  if constexpr (MaxR > 1) {
    if (rows < MaxR) return with_block<MaxR - 1, MaxC>(rows, cols, body);
  }
  if constexpr (MaxC > 1) {
    if (cols < MaxC) return with_block<MaxR, MaxC - 1>(rows, cols, body);
  }
  body.template operator()<MaxR, MaxC>();
}

/// dense_forward with a register block of kRows rows x kOuts outputs.
template <std::size_t kRows, std::size_t kOuts, typename T>
void forward_blocked(const T* x, std::size_t rows, std::size_t in, const T* w, const T* bias,
                     std::size_t out, T* y) noexcept {
  using V = Vec<T>;
  constexpr std::size_t L = V::lanes;
  const std::size_t full = in / L * L;
  const std::size_t tail = in - full;
  for (std::size_t r0 = 0; r0 < rows; r0 += kRows) {
    for (std::size_t o0 = 0; o0 < out; o0 += kOuts) {
      with_block<kRows, kOuts>(rows - r0, out - o0, [&]<std::size_t R, std::size_t C>() {
        V acc[R][C];
        for (auto& row : acc)
          for (V& a : row) a = V::zero();
        const T* xr = x + r0 * in;
        const T* wo = w + o0 * in;
        for (std::size_t i = 0; i < full; i += L) {
          V wv[C];
          for (std::size_t c = 0; c < C; ++c) wv[c] = V::load(wo + c * in + i);
          for (std::size_t r = 0; r < R; ++r) {
            const V xv = V::load(xr + r * in + i);
            for (std::size_t c = 0; c < C; ++c) acc[r][c] = fma(xv, wv[c], acc[r][c]);
          }
        }
        if (tail != 0) {
          V wv[C];
          for (std::size_t c = 0; c < C; ++c) wv[c] = V::load(wo + c * in + full, tail);
          for (std::size_t r = 0; r < R; ++r) {
            const V xv = V::load(xr + r * in + full, tail);
            for (std::size_t c = 0; c < C; ++c) acc[r][c] = fma(xv, wv[c], acc[r][c]);
          }
        }
        for (std::size_t r = 0; r < R; ++r)
          for (std::size_t c = 0; c < C; ++c)
            y[(r0 + r) * out + o0 + c] = sum_lanes(acc[r][c]) + bias[o0 + c];
      });
    }
  }
}

}  // namespace detail

/// y[r, o] = sum_i x[r, i] * w[o, i] + bias[o]: x [rows x in], w [out x in], y [rows x out].
/// Each dot product runs in the lanes (i mod lanes), then sums them in a fixed tree, whatever
/// the register block: the block decides only how often a weight is loaded.
template <typename T>
void dense_forward(const T* x, std::size_t rows, std::size_t in, const T* w, const T* bias,
                   std::size_t out, T* y) noexcept {
  // AVX-512's 32 registers hold 8 rows x 3 outputs of sums beside the 3 weight vectors and a
  // row's input, loading each weight half as often: 25% faster on a 624 -> 400 layer, measured,
  // and slower on short rows, where the 4 x 3 block's remainders are fewer.
  constexpr bool kWideBlock = Vec<T>::lanes * sizeof(T) == 64;
  if (kWideBlock && in >= kWideBlockMinimumInputs) {
    detail::forward_blocked<8, 3>(x, rows, in, w, bias, out, y);
  } else {
    detail::forward_blocked<4, 3>(x, rows, in, w, bias, out, y);
  }
}

namespace detail {

/// dense_backward_data (kAdd false) and dense_backward_data_add (kAdd true): the sum starts
/// from 0 or from dx.
template <bool kAdd, typename T>
void backward_data(const T* dy, std::size_t rows, std::size_t out, const T* w, std::size_t in,
                   T* dx) noexcept {
  using V = Vec<T>;
  constexpr std::size_t L = V::lanes;
  constexpr std::size_t kRows = 4;
  constexpr std::size_t kVecs = 3;
  const std::size_t vecs = (in + L - 1) / L;
  for (std::size_t r0 = 0; r0 < rows; r0 += kRows) {
    for (std::size_t v0 = 0; v0 < vecs; v0 += kVecs) {
      const std::size_t i0 = v0 * L;
      with_block<kRows, kVecs>(rows - r0, vecs - v0, [&]<std::size_t R, std::size_t C>() {
        // Lanes of the block's last vector that lie inside the row.
        const std::size_t last = std::min(L, in - (i0 + (C - 1) * L));
        V acc[R][C];
        for (std::size_t r = 0; r < R; ++r) {
          const T* dxr = dx + (r0 + r) * in + i0;
          for (std::size_t c = 0; c + 1 < C; ++c)
            acc[r][c] = kAdd ? V::load(dxr + c * L) : V::zero();
          acc[r][C - 1] = kAdd ? V::load(dxr + (C - 1) * L, last) : V::zero();
        }
        for (std::size_t o = 0; o < out; ++o) {
          const T* wo = w + o * in + i0;
          V wv[C];
          for (std::size_t c = 0; c + 1 < C; ++c) wv[c] = V::load(wo + c * L);
          wv[C - 1] = last == L ? V::load(wo + (C - 1) * L) : V::load(wo + (C - 1) * L, last);
          for (std::size_t r = 0; r < R; ++r) {
            const V d = V::broadcast(dy[(r0 + r) * out + o]);
            for (std::size_t c = 0; c < C; ++c) acc[r][c] = fma(d, wv[c], acc[r][c]);
          }
        }
        for (std::size_t r = 0; r < R; ++r) {
          T* dxr = dx + (r0 + r) * in + i0;
          for (std::size_t c = 0; c + 1 < C; ++c) acc[r][c].store(dxr + c * L);
          acc[r][C - 1].store(dxr + (C - 1) * L, last);
        }
      });
    }
  }
}

}  // namespace detail

/// dx[r, i] = sum_o dy[r, o] * w[o, i], summed in o order: dy [rows x out], w [out x in],
/// dx [rows x in] (overwritten).
template <typename T>
void dense_backward_data(const T* dy, std::size_t rows, std::size_t out, const T* w, std::size_t in,
                         T* dx) noexcept {
  detail::backward_data<false>(dy, rows, out, w, in, dx);
}

/// The same added to dx, the sum starting from dx[r, i] (ref::dense_backward_data_add).
template <typename T>
void dense_backward_data_add(const T* dy, std::size_t rows, std::size_t out, const T* w,
                             std::size_t in, T* dx) noexcept {
  detail::backward_data<true>(dy, rows, out, w, in, dx);
}

namespace detail {

/// dw[o, i] += sum_r dy[r, o] * x[r, i] for the outputs [o_begin, o_end) and the inputs in
/// vectors [v_begin, v_end) of a row (input i is in vector i / lanes), summed in row order.
/// Rows go in blocks so the x and dy a block reads stay in cache; a sum carried from one block
/// to the next through dw is exact, so blocking changes no bit.
template <typename T>
void backward_weights(const T* x, const T* dy, std::size_t rows, std::size_t in, std::size_t out,
                      std::size_t o_begin, std::size_t o_end, std::size_t v_begin,
                      std::size_t v_end, T* dw) noexcept {
  using V = Vec<T>;
  constexpr std::size_t L = V::lanes;
  // 6 outputs x 3 vectors of sums where AVX-512's 32 registers hold them, 4 x 3 in AVX2's 16;
  // 64 rows of a block's 3-vector columns stay in L1 while each output block reads them.
  // Measured on 340 -> 30 and 624 -> 400 against 4 x 3 over 256 rows: 1.5x.
  constexpr std::size_t kOuts = Vec<T>::lanes * sizeof(T) == 64 ? 6 : 4;
  constexpr std::size_t kVecs = 3;
  constexpr std::size_t kRowBlock = 64;
  for (std::size_t r0 = 0; r0 < rows; r0 += kRowBlock) {
    const std::size_t r1 = std::min(rows, r0 + kRowBlock);
    for (std::size_t v0 = v_begin; v0 < v_end; v0 += kVecs) {
      const std::size_t i0 = v0 * L;
      for (std::size_t o0 = o_begin; o0 < o_end; o0 += kOuts) {
        with_block<kOuts, kVecs>(o_end - o0, v_end - v0, [&]<std::size_t R, std::size_t C>() {
          // Lanes of the block's last vector that lie inside the row.
          const std::size_t last = std::min(L, in - (i0 + (C - 1) * L));
          V acc[R][C];
          for (std::size_t o = 0; o < R; ++o) {
            const T* dwo = dw + (o0 + o) * in + i0;
            for (std::size_t c = 0; c + 1 < C; ++c) acc[o][c] = V::load(dwo + c * L);
            acc[o][C - 1] = V::load(dwo + (C - 1) * L, last);
          }
          for (std::size_t r = r0; r < r1; ++r) {
            const T* xr = x + r * in + i0;
            V xv[C];
            for (std::size_t c = 0; c + 1 < C; ++c) xv[c] = V::load(xr + c * L);
            xv[C - 1] = last == L ? V::load(xr + (C - 1) * L) : V::load(xr + (C - 1) * L, last);
            for (std::size_t o = 0; o < R; ++o) {
              const V d = V::broadcast(dy[r * out + o0 + o]);
              for (std::size_t c = 0; c < C; ++c) acc[o][c] = fma(d, xv[c], acc[o][c]);
            }
          }
          for (std::size_t o = 0; o < R; ++o) {
            T* dwo = dw + (o0 + o) * in + i0;
            for (std::size_t c = 0; c + 1 < C; ++c) acc[o][c].store(dwo + c * L);
            acc[o][C - 1].store(dwo + (C - 1) * L, last);
          }
        });
      }
    }
  }
}

/// db[o] += sum_r dy[r, o] for o in [o_begin, o_end): lanes over the outputs, each a plain sum
/// in row order.
template <typename T>
void backward_bias(const T* dy, std::size_t rows, std::size_t out, std::size_t o_begin,
                   std::size_t o_end, T* db) noexcept {
  using V = Vec<T>;
  constexpr std::size_t L = V::lanes;
  for (std::size_t o0 = o_begin; o0 < o_end; o0 += L) {
    const std::size_t n = std::min(L, o_end - o0);
    V acc = V::load(db + o0, n);
    for (std::size_t r = 0; r < rows; ++r) acc = acc + V::load(dy + r * out + o0, n);
    acc.store(db + o0, n);
  }
}

}  // namespace detail

/// For the outputs o in [o_begin, o_end): dw[o, i] += sum_r dy[r, o] * x[r, i] and
/// db[o] += sum_r dy[r, o], both summed in row order. x [rows x in], dy [rows x out],
/// dw [out x in]. Threads split the outputs, never the rows, so the sums do not depend on
/// the split.
template <typename T>
void dense_backward_weights(const T* x, const T* dy, std::size_t rows, std::size_t in,
                            std::size_t out, std::size_t o_begin, std::size_t o_end, T* dw,
                            T* db) noexcept {
  detail::backward_weights(x, dy, rows, in, out, o_begin, o_end, 0, chunks<T>(in), dw);
  detail::backward_bias(dy, rows, out, o_begin, o_end, db);
}

/// Where a slice of dense_backward_weight_columns may start: a multiple of this many inputs.
template <typename T>
inline constexpr std::size_t kWeightColumnBlock = 3 * Vec<T>::lanes;

/// dw[o, i] += sum_r dy[r, o] * x[r, i] for every output o and the inputs i in
/// [i_begin, i_end), summed in row order (ref::dense_backward_weights' sums, by columns).
/// i_begin is a multiple of kWeightColumnBlock<T>, and i_end too or equal to `in`. Threads
/// that split the inputs this way each read only their columns of x, where a split of the
/// outputs has every thread read all of it.
template <typename T>
void dense_backward_weight_columns(const T* x, const T* dy, std::size_t rows, std::size_t in,
                                   std::size_t out, std::size_t i_begin, std::size_t i_end,
                                   T* dw) noexcept {
  detail::backward_weights(x, dy, rows, in, out, 0, out, i_begin / Vec<T>::lanes, chunks<T>(i_end),
                           dw);
}

/// db[o] += sum_r dy[r, o] for every output, in row order.
template <typename T>
void dense_backward_bias(const T* dy, std::size_t rows, std::size_t out, T* db) noexcept {
  detail::backward_bias(dy, rows, out, 0, out, db);
}

}  // namespace deepfm::kernels::simd
