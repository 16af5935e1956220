// Put into the Verilated model's precompiled header (--compiler-include) by bittern.sim.replay.
//
// Verilator counts ones with a portable bit-twiddling VL_COUNTONES_I (about 15 instructions);
// the accelerator's XNOR popcount trees call it 256 times a clock cycle at 4x4 (64 at 2x2).
// The compiler's builtin computes the same count, and the compiler knows what it means: most
// calls count a 2-bit slice, which clang reduces to two bit tests (or a POPCNT instruction).
// 4x4 MNIST MLP: 1.36x the cycles per second, every word read back identical. verilated.h
// comes first so that Verilator's own definitions (and the wide variant built on them) keep
// their names; only the model's calls change.
#ifndef BT_POPCOUNT_H_
#define BT_POPCOUNT_H_
#include "verilated.h"
#define VL_COUNTONES_I(lhs) (static_cast<IData>(__builtin_popcount(static_cast<IData>(lhs))))
#define VL_COUNTONES_Q(lhs) (static_cast<IData>(__builtin_popcountll(static_cast<QData>(lhs))))
#endif
