/**
 * Cutting a long text into chunks that a pass over it can handle one by one with the whole
 * text's result, so that a sliced assessment (slices.ts) can pause between them.
 */

/** Characters of a long text a word-by-word step handles between two pauses. */
export const WORD_STEP_CHUNK = 32 * 1024;

/**
 * `text` in chunks of at least `size` characters, each ending before an ASCII space (so no word,
 * a run of letters, digits or marks, spans two chunks); a text without such a space is one chunk.
 */
export function* spaceChunks(text: string, size: number): Generator<string> {
  let from = 0;
  while (from < text.length) {
    let to = text.indexOf(' ', from + size);
    if (to === -1) to = text.length;
    yield text.slice(from, to);
    from = to;
  }
}

/** Characters a whole-text pass (lower-casing, a replace) handles between two pauses. */
export const PASS_CHUNK = 32 * 1024;

/** Where a chunk may end: after a non-whitespace character that whitespace follows. */
const BEFORE_WHITESPACE = /\S(?=\s)/g;
/** Where a chunk may end in a text without a capital sigma: before a non-whitespace character. */
const BEFORE_NON_WHITESPACE = /(?=\S)/g;

/**
 * `text` in chunks of at least `size` characters that lower-casing and whitespace folding can
 * handle one by one with the whole text's result: no whitespace run spans two chunks, no
 * surrogate pair is cut, and the one context rule of lower-casing (a capital sigma's final form)
 * is never cut off its context. Without a capital sigma a chunk ends before the first
 * non-whitespace character at or after `size` (not the low half of a pair); with one, only
 * between a non-whitespace and a whitespace character (the sigma rule looks past neither).
 * A text without such a place is one chunk.
 */
export function* whitespaceChunks(text: string, size = PASS_CHUNK): Generator<string> {
  const boundary = text.includes('\u03a3') ? BEFORE_WHITESPACE : BEFORE_NON_WHITESPACE;
  const offset = boundary === BEFORE_WHITESPACE ? 1 : 0;
  let from = 0;
  while (from < text.length) {
    let to = text.length;
    for (let at = from + size; at < text.length;) {
      boundary.lastIndex = at;
      const m = boundary.exec(text);
      if (!m) break;
      const cut = m.index + offset;
      const c = text.charCodeAt(cut);
      if (c >= 0xdc00 && c <= 0xdfff && cut > 0) {
        at = cut + 1; // the low half of a surrogate pair: the next place
        continue;
      }
      to = cut;
      break;
    }
    yield text.slice(from, to);
    from = to;
  }
}
