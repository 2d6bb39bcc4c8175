/**
 * The repository stands alone: no tracked file links or reads outside the checkout. A clone
 * has nothing next to it, so a link to a sibling folder (documents, data sets) is dead there.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function trackedTextFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' });
  return (
    out
      .split('\0')
      .filter((f) => f !== '' && !/\.(png|jpe?g|gif|ico|wasm|gz|zst|lgbk)$/i.test(f))
      // the lockfile has no paths; this file holds examples of what it looks for
      .filter((f) => f !== 'package-lock.json' && f !== 'tests/unit/repoStandsAlone.test.ts')
  );
}

function escapes(fromFile: string, target: string): boolean {
  const resolved = path.resolve(root, path.dirname(fromFile), target);
  const rel = path.relative(root, resolved);
  return rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
}

/** Relative paths that climb out of the file's folder: markdown links and quoted strings. */
const MD_LINK = /\]\(\s*<?(\.\.\/[^)\s>#]*)/g;
const QUOTED = /['"`]((?:\.\.\/)+[^'"`\s$]*)['"`]/g;
// A sibling folder of the checkout (the dots are a class so that this file does not match itself).
const SIBLING_FOLDER = /[.][.]\/shared\b|\/work\/shared\b/;

export function outsideLinks(file: string, content: string): string[] {
  const found: string[] = [];
  content.split('\n').forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    if (SIBLING_FOLDER.test(line)) found.push(`${where}: ${line.trim()}`);
    for (const re of [MD_LINK, QUOTED]) {
      for (const m of line.matchAll(re)) {
        if (escapes(file, m[1]!)) found.push(`${where}: ${m[1]}`);
      }
    }
  });
  return found;
}

describe('the repository stands alone', () => {
  it('should have no tracked file that links or reads outside the checkout', () => {
    const files = trackedTextFiles();
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((f) => outsideLinks(f, readFileSync(path.join(root, f), 'utf8')));
    expect(found).toEqual([]);
  });

  it('should notice a link or a path that leaves the repository', () => {
    expect(outsideLinks('README.md', 'Design: [a](../elsewhere/ARCHITECTURE.md)')).toHaveLength(1);
    expect(outsideLinks('tests/unit/x.test.ts', "const f = path.resolve(dir, '../../../data/x.jsonl');")).toHaveLength(
      1,
    );
    expect(outsideLinks('docs/API.md', 'see ../' + 'shared/API.md')).toHaveLength(1);
    expect(outsideLinks('docs/API.md', 'see [billing](BILLING.md) and [db](../README.md)')).toEqual([]);
    expect(outsideLinks('src/services/ops/backup/x.ts', "import { env } from '../../../config/env.js';")).toEqual([]);
  });
});
