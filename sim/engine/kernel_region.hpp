// Included last by a source that is compiled once per kernel (recoverysim_kernel_sources in
// CMakeLists.txt): everything after it is compiled for that kernel's instruction set.
//
// The instruction set comes from `#pragma GCC target` here, after every header, rather than
// from -march on the command line. So only the functions this source defines get the wider
// instructions: inline functions and templates of the headers (the standard library's, oneTBB's,
// the project's) keep the build's baseline wherever they are not inlined, and the one copy of
// each that the linker keeps is safe on every CPU. What the source defines carries the kernel
// in its name: templates on the kernel tag (kernels.hpp), or the namespace
// RECOVERYSIM_KERNEL_NAMESPACE, so that the three compilations never define the same symbol.
// RECOVERYSIM_KERNEL_AVX2 and RECOVERYSIM_KERNEL_AVX512 (0 or 1) say which intrinsics it may use:
// with the C++ front end, `#pragma GCC target` does not change the predefined macros.
// No namespace-scope object with a dynamic initialiser may follow: it would run before main.
#if !defined(RECOVERYSIM_KERNEL_VARIANT) || RECOVERYSIM_KERNEL_VARIANT == 0
#define RECOVERYSIM_THIS_KERNEL ::recoverysim::BaselineKernel
#define RECOVERYSIM_KERNEL_NAMESPACE kernel_baseline
// The baseline is the build's own target: a native build may have AVX2 or AVX-512 already.
#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512VL__)
#define RECOVERYSIM_KERNEL_AVX512 1
#else
#define RECOVERYSIM_KERNEL_AVX512 0
#endif
#if defined(__x86_64__) && defined(__AVX2__)
#define RECOVERYSIM_KERNEL_AVX2 1
#else
#define RECOVERYSIM_KERNEL_AVX2 0
#endif
#elif RECOVERYSIM_KERNEL_VARIANT == 1
#pragma GCC target("arch=x86-64-v3")
#define RECOVERYSIM_THIS_KERNEL ::recoverysim::Avx2Kernel
#define RECOVERYSIM_KERNEL_NAMESPACE kernel_avx2
#define RECOVERYSIM_KERNEL_AVX512 0
#define RECOVERYSIM_KERNEL_AVX2 1
#elif RECOVERYSIM_KERNEL_VARIANT == 2
// GCC keeps to 256-bit vectors on AVX-512 machines unless told that the wide ones pay; in the
// loops over a tile of 64 lanes they do (16 lanes to an instruction).
#pragma GCC target("arch=x86-64-v4,prefer-vector-width=512")
#define RECOVERYSIM_THIS_KERNEL ::recoverysim::Avx512Kernel
#define RECOVERYSIM_KERNEL_NAMESPACE kernel_avx512
#define RECOVERYSIM_KERNEL_AVX512 1
#define RECOVERYSIM_KERNEL_AVX2 1
#else
#error "RECOVERYSIM_KERNEL_VARIANT: 0 (baseline), 1 (avx2) or 2 (avx512)"
#endif
