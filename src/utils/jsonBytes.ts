/**
 * The size in bytes of a value's JSON (`Buffer.byteLength(JSON.stringify(value))`) without
 * writing the JSON: a body's limits (2 MB of chat messages) are checked on every call, and
 * stringifying two megabytes to count them took 8-9 ms of the request thread (the whole of the
 * body's validation) and a 2 MB string for the collector.
 */

import { hasJsonEscapes } from './jsonEscapes.js';

/** Bytes of `s` as a JSON string: UTF-8, quoted, escaped as JSON.stringify escapes. */
export function jsonStringBytes(s: string): number {
  let bytes = Buffer.byteLength(s, 'utf8') + 2;
  if (!hasJsonEscapes(s) && s.isWellFormed()) return bytes;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) bytes += 1;
    else if (c < 0x20) bytes += c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 1 : 5;
    else if (c >= 0xd800 && c <= 0xdfff) {
      if (c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
      // a lone surrogate: written as a six-byte \u escape, counted by byteLength as U+FFFD (3)
      else bytes += 3;
    }
  }
  return bytes;
}

/** Whether JSON.stringify leaves a property with this value out (in an array it writes null). */
const omitted = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/**
 * `Buffer.byteLength(JSON.stringify(value), 'utf8')`, computed: exact for what JSON.parse gives
 * (objects, arrays, strings, numbers, booleans, null); a value with a toJSON method (a Date) is
 * stringified to be counted. NaN for a value JSON.stringify writes nothing for (undefined).
 */
export function jsonBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return jsonStringBytes(value);
    case 'number':
      return Number.isFinite(value) ? String(value).length : 4;
    case 'boolean':
      return value ? 4 : 5;
    case 'object': {
      if (value === null) return 4;
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
        const json = JSON.stringify(value);
        return json === undefined ? Number.NaN : Buffer.byteLength(json, 'utf8');
      }
      if (Array.isArray(value)) {
        let bytes = 2 + Math.max(0, value.length - 1);
        for (const item of value) bytes += omitted(item) ? 4 : jsonBytes(item);
        return bytes;
      }
      let bytes = 2;
      let members = 0;
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        if (omitted(item)) continue;
        bytes += jsonStringBytes(key) + 1 + jsonBytes(item);
        members++;
      }
      return bytes + Math.max(0, members - 1);
    }
    default:
      // undefined, functions and symbols are not written; a BigInt throws in JSON.stringify
      if (typeof value === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
      return Number.NaN;
  }
}
