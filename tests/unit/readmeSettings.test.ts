/**
 * The README's configuration table lists every variable src/config/env.ts accepts, so an
 * operator finds a setting (SHUTDOWN_DRAIN_DELAY_MS, DATABASE_READ_URL, ...) where the README
 * says all of them are. A row may group variables: `A_B_C` / `_D` stands for A_B_C and A_B_D.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/env.js';

const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');

/** The variable names a README table's first column names, suffix shorthands expanded. */
function documentedVariables(markdown: string): Set<string> {
  const section = markdown.slice(markdown.indexOf('## Configuration'));
  const table = section.slice(0, section.indexOf('\n## '));
  const names = new Set<string>();
  for (const [, cell] of table.matchAll(/^\| (.*?) \|/gm)) {
    const tokens = [...cell!.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!);
    const base = tokens.find((t) => !t.startsWith('_'));
    for (const t of tokens) {
      if (!t.startsWith('_')) names.add(t);
      else if (base) {
        // `AUTH_RATE_LIMIT_PER_IP` / `_PER_EMAIL`: the suffix replaces one or more of base's last words
        const words = base.split('_');
        for (let cut = 1; cut < words.length; cut++) names.add(words.slice(0, -cut).join('_') + t);
      }
    }
  }
  return names;
}

describe('README configuration table', () => {
  it('should list every variable of src/config/env.ts', () => {
    const documented = documentedVariables(readme);
    const missing = Object.keys(envSchema.shape).filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });

  it('should see a variable as missing when its row is absent', () => {
    const without = readme.replace(/^\| `DATABASE_READ_URL` .*$/m, '');
    expect(documentedVariables(readme).has('DATABASE_READ_URL')).toBe(true);
    expect(documentedVariables(without).has('DATABASE_READ_URL')).toBe(false);
    expect(documentedVariables(readme).has('AUTH_RATE_LIMIT_PER_EMAIL')).toBe(true);
  });
});
