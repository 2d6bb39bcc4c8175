import { describe, expect, it } from 'vitest';
import { evaluateFlag, type FlagRule } from '../../src/domain/flags/flagRules.js';

const flag = (over: Partial<FlagRule> = {}): FlagRule => ({
  key: 'new-dashboard',
  enabled: true,
  rolloutPercent: 100,
  allowUsers: [],
  denyUsers: [],
  allowProjects: [],
  denyProjects: [],
  variants: [],
  archivedAt: null,
  ...over,
});

const USERS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
const share = (rule: FlagRule) =>
  USERS.filter((userId) => evaluateFlag(rule, { userId }).enabled).length / USERS.length;

describe('evaluateFlag: percentage rollout', () => {
  it.each([1, 10, 25, 50, 90])('should give a %i %% rollout to that share of 10,000 users within 1.5 points', (pct) => {
    expect(Math.abs(share(flag({ rolloutPercent: pct })) * 100 - pct)).toBeLessThan(1.5);
  });

  it('should give 0 % to nobody and 100 % to everybody', () => {
    expect(share(flag({ rolloutPercent: 0 }))).toBe(0);
    expect(share(flag({ rolloutPercent: 100 }))).toBe(1);
  });

  it('should keep every user who had the flag at 10 % when the rollout grows to 30 %', () => {
    const at10 = USERS.filter((userId) => evaluateFlag(flag({ rolloutPercent: 10 }), { userId }).enabled);
    expect(at10.length).toBeGreaterThan(0);
    for (const userId of at10) expect(evaluateFlag(flag({ rolloutPercent: 30 }), { userId }).enabled).toBe(true);
  });

  it('should answer the same for the same user on every call', () => {
    const rule = flag({ rolloutPercent: 50 });
    for (const userId of USERS.slice(0, 200)) {
      const first = evaluateFlag(rule, { userId }).enabled;
      for (let i = 0; i < 5; i++) expect(evaluateFlag(rule, { userId }).enabled).toBe(first);
    }
  });

  it('should pick independent users for two flags at 50 % (about a quarter get both)', () => {
    const a = flag({ key: 'flag-a', rolloutPercent: 50 });
    const b = flag({ key: 'flag-b', rolloutPercent: 50 });
    const both = USERS.filter((userId) => evaluateFlag(a, { userId }).enabled && evaluateFlag(b, { userId }).enabled);
    expect(Math.abs(both.length / USERS.length - 0.25)).toBeLessThan(0.02);
  });

  it('should let the project stand in for a missing user, and let no one in without either below 100 %', () => {
    const rule = flag({ rolloutPercent: 50 });
    const projects = USERS.map((u) => `project-${u}`);
    const on = projects.filter((projectId) => evaluateFlag(rule, { projectId }).enabled).length / projects.length;
    expect(Math.abs(on - 0.5)).toBeLessThan(0.02);
    expect(evaluateFlag(rule, {})).toEqual({ enabled: false, variant: null, reason: 'OUT_OF_ROLLOUT' });
    expect(evaluateFlag(flag(), {}).enabled).toBe(true);
  });
});

describe('evaluateFlag: lists, disabled and archived', () => {
  it('should turn the flag on for an allowed user or project even at 0 %', () => {
    const rule = flag({ rolloutPercent: 0, allowUsers: ['u1'], allowProjects: ['p1'] });
    expect(evaluateFlag(rule, { userId: 'u1' })).toMatchObject({ enabled: true, reason: 'ALLOWED' });
    expect(evaluateFlag(rule, { userId: 'u2', projectId: 'p1' })).toMatchObject({ enabled: true, reason: 'ALLOWED' });
    expect(evaluateFlag(rule, { userId: 'u2', projectId: 'p2' })).toMatchObject({ enabled: false });
  });

  it('should let a deny list beat an allow list (users and projects, either way round)', () => {
    const both = flag({ allowUsers: ['u1'], denyUsers: ['u1'] });
    expect(evaluateFlag(both, { userId: 'u1' })).toEqual({ enabled: false, variant: null, reason: 'DENIED' });
    const projectDenied = flag({ allowUsers: ['u1'], denyProjects: ['p1'] });
    expect(evaluateFlag(projectDenied, { userId: 'u1', projectId: 'p1' }).reason).toBe('DENIED');
    const userDenied = flag({ allowProjects: ['p1'], denyUsers: ['u1'] });
    expect(evaluateFlag(userDenied, { userId: 'u1', projectId: 'p1' }).reason).toBe('DENIED');
    expect(evaluateFlag(userDenied, { userId: 'u2', projectId: 'p1' }).reason).toBe('ALLOWED');
  });

  it('should keep a disabled flag off even for an allowed user', () => {
    const rule = flag({ enabled: false, allowUsers: ['u1'] });
    expect(evaluateFlag(rule, { userId: 'u1' })).toEqual({ enabled: false, variant: null, reason: 'DISABLED' });
  });

  it('should keep an archived flag off for everyone', () => {
    const rule = flag({ archivedAt: new Date(), allowUsers: ['u1'] });
    expect(evaluateFlag(rule, { userId: 'u1' })).toEqual({ enabled: false, variant: null, reason: 'ARCHIVED' });
  });
});

describe('evaluateFlag: variants', () => {
  const variants = [
    { name: 'control', weight: 70 },
    { name: 'treatment', weight: 30, value: { color: 'green' } },
    { name: 'never', weight: 0 },
  ];

  it('should split users in the rollout by the variant weights within 1.5 points over 10,000 users', () => {
    const counts = new Map<string | null, number>();
    for (const userId of USERS) {
      const v = evaluateFlag(flag({ variants }), { userId }).variant;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect(Math.abs(((counts.get('control') ?? 0) / USERS.length) * 100 - 70)).toBeLessThan(1.5);
    expect(Math.abs(((counts.get('treatment') ?? 0) / USERS.length) * 100 - 30)).toBeLessThan(1.5);
    expect(counts.get('never')).toBeUndefined();
  });

  it('should give a user the same variant on every call and when the rollout grows', () => {
    for (const userId of USERS.slice(0, 500)) {
      const at20 = evaluateFlag(flag({ variants, rolloutPercent: 20 }), { userId });
      if (!at20.enabled) continue;
      expect(evaluateFlag(flag({ variants, rolloutPercent: 20 }), { userId }).variant).toBe(at20.variant);
      expect(evaluateFlag(flag({ variants, rolloutPercent: 80 }), { userId }).variant).toBe(at20.variant);
    }
  });

  it("should carry the variant's value, and no variant for a user out of the rollout or a plain flag", () => {
    const treated = USERS.find((userId) => evaluateFlag(flag({ variants }), { userId }).variant === 'treatment')!;
    expect(evaluateFlag(flag({ variants }), { userId: treated })).toEqual({
      enabled: true,
      variant: 'treatment',
      value: { color: 'green' },
      reason: 'ROLLOUT',
    });
    expect(evaluateFlag(flag({ variants, rolloutPercent: 0 }), { userId: treated }).variant).toBeNull();
    expect(evaluateFlag(flag(), { userId: treated })).toEqual({ enabled: true, variant: null, reason: 'ROLLOUT' });
  });

  it('should give allowed users a variant too', () => {
    const rule = flag({ variants, rolloutPercent: 0, allowUsers: USERS.slice(0, 1000) });
    const names = new Set(USERS.slice(0, 1000).map((userId) => evaluateFlag(rule, { userId }).variant));
    expect(names).toEqual(new Set(['control', 'treatment']));
  });
});
