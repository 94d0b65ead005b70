// OpenBLAS's CBLAS interface and the LAPACKE C interface to LAPACK (Debian: libopenblas-dev, liblapacke-dev).
#include <cblas.h>
#include <lapacke.h>
