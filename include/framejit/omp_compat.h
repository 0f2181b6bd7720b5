/* omp_compat.h: the few OpenMP calls the kernel library uses, with serial stand-ins so
 * every file builds without OpenMP (FRAMEJIT_NO_OPENMP=1 or a compiler without it).
 * `#pragma omp` lines are ignored by compilers built without OpenMP. */
#ifndef FRAMEJIT_OMP_COMPAT_H
#define FRAMEJIT_OMP_COMPAT_H

#ifdef _OPENMP
#include <omp.h>
#define FJ_HAVE_OPENMP 1
static inline int fj_omp_max_threads(void) { return omp_get_max_threads(); }
static inline int fj_omp_thread_num(void) { return omp_get_thread_num(); }
static inline double fj_omp_wtime(void) { return omp_get_wtime(); }
#else
#define FJ_HAVE_OPENMP 0
static inline int fj_omp_max_threads(void) { return 1; }
static inline int fj_omp_thread_num(void) { return 0; }
static inline double fj_omp_wtime(void) { return 0.0; }
#endif

#endif /* FRAMEJIT_OMP_COMPAT_H */
