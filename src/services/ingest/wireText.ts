/**
 * Long texts sent to and from the assessment's worker threads as bytes, not strings.
 *
 * `postMessage` copies a string twice: into the sender's serialization buffer and out of it into a
 * fresh string of the receiver's heap, which V8 takes in pages of its own for any string over
 * about 128 KB. On the virtual machines this runs on a page fault costs about 10 µs: a 2 MB text
 * sent to a worker and its redaction sent back took 23-30 ms and 2,000-2,700 page faults (a
 * micro-benchmark here). As bytes, the text is encoded once into a buffer whose memory is moved,
 * not copied, to the other thread, and decoded there into a string that Node keeps outside V8's
 * heap (over about 1 MB): 1-12 ms and 0-1,500 page faults.
 *
 * A text is sent as Latin-1 when all its characters are (one byte each), else as UTF-16 (two bytes
 * each, lone surrogates included): either way it comes back character for character.
 */

import { isLatin1 } from '../../utils/latin1.js';

/** Texts of at least this many characters cross as bytes; shorter ones as strings. */
export const WIRE_TEXT_CHARS = 128 * 1024;

/** A text as bytes: `latin1` (every character under U+0100) or `utf16le`. */
export interface WireText {
  wire: 'latin1' | 'utf16le';
  bytes: Uint8Array;
}

/** A text as it crosses to or from a worker. */
export type TextOnWire = string | WireText;

/** `bytes` as a WireText of the given encoding (its buffer is moved when it crosses: see transferablesOf). */
export function wireOf(wire: WireText['wire'], bytes: Uint8Array): WireText {
  return { wire, bytes };
}

/** The text as it should cross: a long one as bytes of a buffer of its own. */
export function textToWire(text: string): TextOnWire {
  if (text.length < WIRE_TEXT_CHARS) return text;
  const wire = isLatin1(text) ? 'latin1' : 'utf16le';
  return wireOf(wire, Buffer.from(text, wire));
}

/** The text that crossed. */
export function textFromWire(text: TextOnWire): string {
  if (typeof text === 'string') return text;
  const { wire, bytes } = text;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(wire);
}

/**
 * The buffers to move (postMessage's transfer list) with these texts: each WireText's, when the
 * bytes are the whole of it (a buffer shared with others, such as Node's pool of small buffers,
 * is copied instead).
 */
export function transferablesOf(...texts: (TextOnWire | null | undefined)[]): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const text of texts) {
    if (!text || typeof text === 'string') continue;
    const { buffer, byteOffset, byteLength } = text.bytes;
    if (buffer instanceof ArrayBuffer && byteOffset === 0 && buffer.byteLength === byteLength) buffers.push(buffer);
  }
  return buffers;
}

/**
 * Many texts as one: their characters end to end as one text on the wire (bytes when long
 * together) and where each ends. What a chat call's thousand messages cross as, each way: as a
 * thousand strings they were copied into the receiving thread's young generation and copied again
 * by its collections while they lived (a worker's scavenges took 10-36 ms during such a task).
 * A missing text (null) is marked by an end of -1 and takes no characters.
 */
export interface PackedTexts {
  text: TextOnWire;
  ends: Int32Array;
}

/** `texts` packed (see PackedTexts); a long pack's bytes are a buffer of their own, to be moved. */
export function packTexts(texts: readonly (string | null)[]): PackedTexts {
  const ends = new Int32Array(texts.length);
  let chars = 0;
  let latin1 = true;
  for (const [i, text] of texts.entries()) {
    if (text === null) {
      ends[i] = -1;
      continue;
    }
    chars += text.length;
    ends[i] = chars;
    if (latin1 && !isLatin1(text)) latin1 = false;
  }
  if (chars < WIRE_TEXT_CHARS) return { text: texts.filter((t) => t !== null).join(''), ends };
  const wire = latin1 ? 'latin1' : 'utf16le';
  const bytes = Buffer.allocUnsafeSlow(latin1 ? chars : 2 * chars);
  let at = 0;
  for (const text of texts) if (text) at += bytes.write(text, at, wire);
  return { text: wireOf(wire, bytes), ends };
}

/** The buffers to move with a pack (its bytes' as transferablesOf, and its ends'). */
export function packTransferables(packed: PackedTexts): ArrayBuffer[] {
  const buffers = transferablesOf(packed.text);
  const { buffer, byteOffset, byteLength } = packed.ends;
  if (buffer instanceof ArrayBuffer && byteLength > 0 && byteOffset === 0 && buffer.byteLength === byteLength) {
    buffers.push(buffer);
  }
  return buffers;
}

/**
 * The texts of a pack, each a slice of the one text that crossed (V8 keeps a slice of a long
 * string as a reference into it, not a copy).
 */
export function unpackTexts(packed: PackedTexts): (string | null)[] {
  const all = textFromWire(packed.text);
  const texts: (string | null)[] = [];
  let from = 0;
  for (const end of packed.ends) {
    if (end === -1) {
      texts.push(null);
      continue;
    }
    texts.push(all.slice(from, end));
    from = end;
  }
  return texts;
}
