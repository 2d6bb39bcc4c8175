import { describe, expect, it } from 'vitest';
import {
  configFromProject,
  diffConfig,
  mergeConfig,
  pickArm,
  projectColumns,
} from '../../src/domain/config/modelConfig.js';

describe('config merge and diff', () => {
  it('should keep absent fields, clear null ones and report each change once', () => {
    const base = { model: null, safetyThreshold: 80, systemPrompt: 'a', allowedModels: ['x', 'y'] };
    const next = mergeConfig(base, { safetyThreshold: 60, systemPrompt: null, temperature: 0.3 });
    expect(next).toEqual({
      model: null,
      safetyThreshold: 60,
      systemPrompt: null,
      allowedModels: ['x', 'y'],
      temperature: 0.3,
    });
    expect(diffConfig(base, next)).toEqual([
      { field: 'safetyThreshold', from: 80, to: 60 },
      { field: 'systemPrompt', from: 'a', to: null },
      { field: 'temperature', from: null, to: 0.3 },
    ]);
  });

  it('should see objects with the same content in another key order as equal', () => {
    const a = { priceOverrides: { m: { inputPerMTok: 1, outputPerMTok: 2 } } };
    const b = { priceOverrides: { m: { outputPerMTok: 2, inputPerMTok: 1 } } };
    expect(diffConfig(a, b)).toEqual([]);
    expect(diffConfig(null, { model: 'x' })).toEqual([{ field: 'model', from: null, to: 'x' }]);
  });

  it('should split a config into project columns and model settings and back', () => {
    const config = {
      model: 'gpt-4o-mini',
      defaultModel: null,
      systemPrompt: 'p',
      safetyThreshold: 70,
      piiMode: 'redact' as const,
      guardMode: 'monitor',
    };
    const cols = projectColumns(config);
    expect(cols).toEqual({
      defaultModel: null,
      systemPrompt: 'p',
      safetyThreshold: 70,
      piiMode: 'redact',
      modelSettings: { model: 'gpt-4o-mini', guardMode: 'monitor' },
    });
    expect(configFromProject(cols)).toEqual(config);
  });
});

describe('pickArm', () => {
  const arms = [
    { version: 1, weight: 90 },
    { version: 2, weight: 10 },
  ];

  it('should give one user the same arm on 1,000 calls', () => {
    for (const user of ['alice', 'bob', 'carol', 'user-42']) {
      const first = pickArm(arms, `user:${user}`, 'project-1').version;
      for (let i = 0; i < 1000; i++) expect(pickArm(arms, `user:${user}`, 'project-1').version).toBe(first);
    }
  });

  it('should respect 90/10 weights within a tolerance over 10,000 simulated users', () => {
    let b = 0;
    for (let i = 0; i < 10_000; i++) if (pickArm(arms, `user:u${i}`, 'project-1').version === 2) b++;
    // binomial sd = sqrt(10000 * 0.1 * 0.9) = 30: +-4 sd
    expect(Math.abs(b - 1000)).toBeLessThan(120);
  });

  it('should split three arms by their weights', () => {
    const three = [
      { version: 3, weight: 50 },
      { version: 4, weight: 30 },
      { version: 5, weight: 20 },
    ];
    const counts = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) {
      const v = pickArm(three, `user:${i}`, 'p').version;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect(Math.abs(counts.get(3)! - 5000)).toBeLessThan(200);
    expect(Math.abs(counts.get(4)! - 3000)).toBeLessThan(184);
    expect(Math.abs(counts.get(5)! - 2000)).toBeLessThan(160);
  });

  it('should only move users at the boundary when weights shift from 90/10 to 50/50', () => {
    const half = [
      { version: 1, weight: 50 },
      { version: 2, weight: 50 },
    ];
    for (let i = 0; i < 2000; i++) {
      // everyone in B at 10% stays in B at 50%
      if (pickArm(arms, `user:${i}`, 'p').version === 2) expect(pickArm(half, `user:${i}`, 'p').version).toBe(2);
    }
  });

  it('should never pick an arm of weight 0', () => {
    const off = [
      { version: 1, weight: 0 },
      { version: 2, weight: 1 },
    ];
    for (let i = 0; i < 500; i++) expect(pickArm(off, `user:${i}`, 'p').version).toBe(2);
  });
});
