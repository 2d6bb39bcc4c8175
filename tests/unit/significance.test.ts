import { describe, expect, it } from 'vitest';
import { normalCdf, twoProportionZTest } from '../../src/domain/metrics/significance.js';

// Reference values computed independently (pooled two-proportion z-test, p = erfc(|z| / sqrt 2)
// with the C library's erfc).
describe('twoProportionZTest', () => {
  it.each([
    [30, 1000, 50, 1000, 2.2821773229381925, 0.02247887336612527],
    [100, 900, 20, 100, 2.5949964805384105, 0.00945918875935477],
    [5, 5000, 6, 5000, 0.3016773127535845, 0.7628980647703629],
    [200, 1000, 100, 1000, -6.262242910851494, 3.794791883144989e-10],
  ])('should match %i/%i vs %i/%i', (x1, n1, x2, n2, z, p) => {
    const out = twoProportionZTest(x1, n1, x2, n2);
    expect(out.z).toBeCloseTo(z, 9);
    expect(out.pValue / p).toBeCloseTo(1, 5);
  });

  it('should answer p = 1 when an arm is empty or neither arm has an error', () => {
    expect(twoProportionZTest(0, 0, 3, 10)).toEqual({ z: 0, pValue: 1 });
    expect(twoProportionZTest(0, 50, 0, 70)).toEqual({ z: 0, pValue: 1 });
  });

  it('should be symmetric in the arms except for the sign of z', () => {
    const ab = twoProportionZTest(12, 400, 25, 410);
    const ba = twoProportionZTest(25, 410, 12, 400);
    expect(ba.z).toBeCloseTo(-ab.z, 12);
    expect(ba.pValue).toBeCloseTo(ab.pValue, 12);
  });
});

describe('normalCdf', () => {
  it('should give the textbook quantiles', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 7);
    expect(normalCdf(-2.5758293035489)).toBeCloseTo(0.005, 7);
  });
});
