/*-------------------------------------------------------------------------
 *
 * linalg.h
 *	  Dense linear algebra used by cmab: packed symmetric matrices, their
 *	  Cholesky factors, and the few BLAS/LAPACK calls we need.
 *
 * Symmetric matrices and their lower Cholesky factors are stored packed,
 * row by row, lower triangle: element (i, j) with j <= i lives at
 * CMAB_PACKED(i, j).  Read as LAPACK column-major packed storage this is the
 * upper triangle of the transpose, which is how linalg.c hands it to LAPACK.
 *
 * linalg.c is the only file that talks to BLAS/LAPACK.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CMAB_LINALG_H
#define CMAB_LINALG_H

#define CMAB_PACKED(i, j)	((size_t) (i) * ((i) + 1) / 2 + (j))
#define CMAB_PACKED_SIZE(d) ((size_t) (d) * ((d) + 1) / 2)

extern void cmab_packed_set_identity(double *P, int d, double scale);
extern void cmab_packed_add_outer(double *P, const double *x, int d);
extern bool cmab_cholesky(const double *A, double *L, int d);
extern void cmab_cholesky_rank1_update(double *L, double *x, int d);
extern void cmab_forward_solve(const double *L, double *x, int d);
extern void cmab_backward_solve(const double *L, double *x, int d);
extern void cmab_factor_packed_inverse(const double *L, double *Ainv, int d);
extern void cmab_gemm_tn(int m, int n, int k, const double *A, const double *B,
						 double *C);
extern int	cmab_svd_right(double *M, int rows, int cols, double *sigma,
						   double *Vt);

#endif							/* CMAB_LINALG_H */
