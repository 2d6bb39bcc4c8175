/**
 * The Redis client must not subclass String. Once any class in the process extends String, V8's
 * optimised code runs String.prototype.charCodeAt, slice and indexOf several times slower in the
 * whole process, and scoring a crafted text is made of exactly those (docs/INGESTION.md, "A cost
 * of the Redis client"). ioredis 6 declares `class VerbatimString extends String`; 5.x does not,
 * which is why package.json holds ioredis at 5. This fails if an upgrade brings such a class in.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const SUBCLASS_OF_STRING = /\bclass\s+[\w$]+\s+extends\s+String\b/;

function packageDir(name: string, from: string): string {
  return path.dirname(createRequire(from).resolve(`${name}/package.json`));
}

/** The JavaScript files of a package and of the packages it depends on, each package once. */
function filesOf(name: string, from: string, seen = new Set<string>()): string[] {
  const dir = packageDir(name, from);
  if (seen.has(dir)) return [];
  seen.add(dir);
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      if (entry === 'node_modules') continue;
      const p = path.join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(c|m)?js$/.test(entry)) files.push(p);
    }
  };
  walk(dir);
  const self = path.join(dir, 'package.json');
  for (const dep of Object.keys(pkg.dependencies ?? {})) files.push(...filesOf(dep, self, seen));
  return files;
}

describe('the Redis client', () => {
  it('should declare no subclass of String, in ioredis or anything it loads', () => {
    const files = filesOf('ioredis', require.resolve('../../package.json'));
    expect(files.length).toBeGreaterThan(20);
    const offending = files.filter((f) => SUBCLASS_OF_STRING.test(readFileSync(f, 'utf8')));
    expect(offending).toEqual([]);
  });

  it('should recognise such a class where there is one (the check itself)', () => {
    expect(SUBCLASS_OF_STRING.test('class VerbatimString extends String {\n  constructor(format, value) {')).toBe(true);
    expect(SUBCLASS_OF_STRING.test('class Reply extends StringDecoder {}')).toBe(false);
  });
});
