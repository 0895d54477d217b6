// The project's parallel loops: recoverysim::parallel_for and parallel_reduce take the same
// arguments as oneTBB's and run them.
//
// Built with ThreadSanitizer (preset tsan), they also tell it the ordering oneTBB guarantees:
// everything before a loop happens before each of its bodies, and every body happens before
// everything after the loop. oneTBB makes that ordering inside libtbb, which Debian does not
// build with ThreadSanitizer, so without these notes every loop would be reported as racing
// with its caller. Bodies are not ordered among themselves: a race between two of them is
// still reported.
#pragma once

#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include <utility>

#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* address);
extern "C" void __tsan_release(void* address);
#endif

namespace recoverysim {

#if defined(__SANITIZE_THREAD__)
namespace detail {
// The start and the end of one loop, as ThreadSanitizer synchronisation objects.
struct LoopEdges {
  char start = 0, end = 0;
  LoopEdges() { __tsan_release(&start); }
  void body_starts() { __tsan_acquire(&start); }
  void body_ends() { __tsan_release(&end); }
  void loop_ends() { __tsan_acquire(&end); }
};
}  // namespace detail
#endif

template <class Range, class Body, class... Partitioner>
void parallel_for(const Range& range, const Body& body, Partitioner&&... partitioner) {
#if defined(__SANITIZE_THREAD__)
  detail::LoopEdges edges;
  tbb::parallel_for(
      range,
      [&](const Range& part) {
        edges.body_starts();
        body(part);
        edges.body_ends();
      },
      std::forward<Partitioner>(partitioner)...);
  edges.loop_ends();
#else
  tbb::parallel_for(range, body, std::forward<Partitioner>(partitioner)...);
#endif
}

template <class Range, class Value, class Body, class Reduction>
Value parallel_reduce(const Range& range, const Value& identity, const Body& body, const Reduction& reduction) {
#if defined(__SANITIZE_THREAD__)
  detail::LoopEdges edges;
  Value result = tbb::parallel_reduce(
      range, identity,
      [&](const Range& part, const Value& value) {
        edges.body_starts();
        Value out = body(part, value);
        edges.body_ends();
        return out;
      },
      [&](const Value& a, const Value& b) {
        edges.body_starts();
        Value out = reduction(a, b);
        edges.body_ends();
        return out;
      });
  edges.loop_ends();
  return result;
#else
  return tbb::parallel_reduce(range, identity, body, reduction);
#endif
}

}  // namespace recoverysim
