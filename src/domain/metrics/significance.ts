/**
 * Significance of a difference between two rates: the two-proportion z-test with a pooled
 * standard error, two-sided. Pure; used to say "arm B's error rate is worse, p = 0.01".
 */

/** Standard normal CDF, via the complementary error function. */
export function normalCdf(z: number): number {
  return 1 - 0.5 * erfc(z / Math.SQRT2);
}

/** erfc(x) by Numerical Recipes' Chebyshev fit (fractional error < 1.2e-7 everywhere). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

export interface ProportionTest {
  /** (p2 - p1) / pooled standard error; positive when the second rate is higher */
  z: number;
  /** two-sided p-value; 1 when there is nothing to compare (an empty arm, or no variance) */
  pValue: number;
}

/** Two-proportion z-test of x1/n1 against x2/n2 (e.g. errors/requests of arm A and arm B). */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): ProportionTest {
  if (n1 <= 0 || n2 <= 0) return { z: 0, pValue: 1 };
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (p2 - p1) / se;
  // erfc directly (not 1 - cdf), so tiny p-values keep their precision.
  return { z, pValue: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) };
}
