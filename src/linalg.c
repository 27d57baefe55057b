/*-------------------------------------------------------------------------
 *
 * linalg.c
 *	  The only file of cmab that talks to BLAS and LAPACK.
 *
 * Arguments are validated by the callers before they get here, so LAPACK's
 * own error handler (xerbla) never runs; numerical failures come back as a
 * return value and the caller reports them in cmab's words.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "linalg.h"

/*
 * Fortran entry points.  The trailing size_t arguments are the hidden
 * lengths of CHARACTER arguments that gfortran-built libraries expect.
 */
extern void dpptrf_(const char *uplo, const int *n, double *ap, int *info,
					size_t uplo_len);
extern void dtpsv_(const char *uplo, const char *trans, const char *diag,
				   const int *n, const double *ap, double *x, const int *incx,
				   size_t uplo_len, size_t trans_len, size_t diag_len);
extern void dpptri_(const char *uplo, const int *n, double *ap, int *info,
					size_t uplo_len);
extern void dgemm_(const char *transa, const char *transb, const int *m,
				   const int *n, const int *k, const double *alpha,
				   const double *a, const int *lda, const double *b,
				   const int *ldb, const double *beta, double *c,
				   const int *ldc, size_t transa_len, size_t transb_len);
extern void dgesdd_(const char *jobz, const int *m, const int *n, double *a,
					const int *lda, double *s, double *u, const int *ldu,
					double *vt, const int *ldvt, double *work,
					const int *lwork, int *iwork, int *info, size_t jobz_len);

/* P := scale * I, packed */
void
cmab_packed_set_identity(double *P, int d, double scale)
{
	memset(P, 0, sizeof(double) * CMAB_PACKED_SIZE(d));
	for (int i = 0; i < d; i++)
		P[CMAB_PACKED(i, i)] = scale;
}

/* P += x x^T, packed; O(d^2) */
void
cmab_packed_add_outer(double *P, const double *x, int d)
{
	double	   *p = P;

	for (int i = 0; i < d; i++)
	{
		double		xi = x[i];

		for (int j = 0; j <= i; j++)
			*p++ += xi * x[j];
	}
}

/*
 * L := lower Cholesky factor of the packed symmetric matrix A (A = L L^T).
 * Returns false when A is not positive definite.  O(d^3).
 */
bool
cmab_cholesky(const double *A, double *L, int d)
{
	int			info = 0;

	memcpy(L, A, sizeof(double) * CMAB_PACKED_SIZE(d));
	if (d == 0)
		return true;
	/* our row-major packed lower is LAPACK's column-major packed upper */
	dpptrf_("U", &d, L, &info, 1);
	return info == 0;
}

/*
 * Update the lower Cholesky factor L of A in place so that it factors
 * A + x x^T.  x is overwritten.  O(d^2), numerically stable (the classic
 * rotation-free update, as in LINPACK's dchud).
 */
void
cmab_cholesky_rank1_update(double *L, double *x, int d)
{
	for (int k = 0; k < d; k++)
	{
		double		lkk = L[CMAB_PACKED(k, k)];
		double		xk = x[k];
		double		r,
					c,
					s;

		if (xk == 0.0)
			continue;
		r = sqrt(lkk * lkk + xk * xk);
		c = r / lkk;
		s = xk / lkk;
		L[CMAB_PACKED(k, k)] = r;
		for (int i = k + 1; i < d; i++)
		{
			double	   *lik = &L[CMAB_PACKED(i, k)];

			*lik = (*lik + s * x[i]) / c;
			x[i] = c * x[i] - s * *lik;
		}
	}
}

/* x := L^-1 x (forward substitution with the packed lower factor) */
void
cmab_forward_solve(const double *L, double *x, int d)
{
	int			one = 1;

	if (d == 0)
		return;
	/* L is U^T for LAPACK's packed upper U */
	dtpsv_("U", "T", "N", &d, L, x, &one, 1, 1, 1);
}

/* x := L^-T x (backward substitution with the packed lower factor) */
void
cmab_backward_solve(const double *L, double *x, int d)
{
	int			one = 1;

	if (d == 0)
		return;
	dtpsv_("U", "N", "N", &d, L, x, &one, 1, 1, 1);
}

/*
 * Ainv := A^-1, packed like A, from the packed lower factor L of A (LAPACK
 * dpptri on the factor as dpptrf leaves it).  O(d^3).
 */
void
cmab_factor_packed_inverse(const double *L, double *Ainv, int d)
{
	int			info = 0;

	memcpy(Ainv, L, sizeof(double) * CMAB_PACKED_SIZE(d));
	if (d == 0)
		return;
	dpptri_("U", &d, Ainv, &info, 1);
	if (info != 0)
		elog(ERROR, "dpptri failed: info %d", info);
}

/*
 * C := A' B for column-major A (k x m), B (k x n) and C (m x n): one dgemm.
 */
void
cmab_gemm_tn(int m, int n, int k, const double *A, const double *B, double *C)
{
	double		one = 1.0,
				zero = 0.0;

	if (m == 0 || n == 0)
		return;
	if (k == 0)
	{
		memset(C, 0, sizeof(double) * (size_t) m * n);
		return;
	}
	dgemm_("T", "N", &m, &n, &k, &one, A, &k, B, &k, &zero, C, &m, 1, 1);
}

/*
 * Thin SVD of the column-major rows x cols matrix M (destroyed):
 * sigma gets min(rows, cols) singular values in decreasing order and Vt
 * (min(rows, cols) x cols, column-major) the right singular vectors as rows.
 * Returns LAPACK's info (0 on success).
 */
int
cmab_svd_right(double *M, int rows, int cols, double *sigma, double *Vt)
{
	int			mn = Min(rows, cols);
	int			lda = Max(rows, 1);
	int			ldvt = Max(mn, 1);
	int			ldu = Max(rows, 1);
	int			lwork = -1;
	int			info = 0;
	double		wsize;
	double	   *U;
	double	   *work;
	int		   *iwork;

	U = palloc(sizeof(double) * (size_t) rows * mn);
	iwork = palloc(sizeof(int) * 8 * (size_t) mn);
	dgesdd_("S", &rows, &cols, M, &lda, sigma, U, &ldu, Vt, &ldvt,
			&wsize, &lwork, iwork, &info, 1);
	if (info != 0)
		return info;
	lwork = (int) wsize;
	work = palloc(sizeof(double) * (size_t) lwork);
	dgesdd_("S", &rows, &cols, M, &lda, sigma, U, &ldu, Vt, &ldvt,
			work, &lwork, iwork, &info, 1);
	pfree(work);
	pfree(iwork);
	pfree(U);
	return info;
}
