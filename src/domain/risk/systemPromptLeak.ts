/**
 * Whether a response repeats its system prompt: verbatim reuse of SHINGLE_WORDS consecutive
 * words (or of the whole prompt, when it is shorter), compared as a set of shingles, linear in
 * both texts, pausing between chunks (slices.ts).
 */
import { spaceChunks } from '../guard/normalize.js';
import { Every, type Steps } from '../slices.js';

const SHINGLE_WORDS = 8;

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Characters of a long text split into words at a time, and shingles compared, between pauses. */
const WORD_CHUNK = 32 * 1024;
const SHINGLES_PER_SLICE = 4096;

/**
 * `words(text)`, a chunk at a time. A chunk ends before an ASCII space: no word crosses one,
 * and lower-casing (final sigma included) looks no further than the neighbouring letters.
 */
function* wordsSteps(text: string): Steps<string[]> {
  if (text.length <= WORD_CHUNK) return words(text);
  const out: string[] = [];
  for (const chunk of spaceChunks(text, WORD_CHUNK)) {
    for (const word of words(chunk)) out.push(word);
    yield;
  }
  return out;
}

/** Verbatim reuse of SHINGLE_WORDS consecutive words of the system prompt (linear, via a set). */
export function* leaksSystemPrompt(response: string, systemPrompt: string): Steps<boolean> {
  const sys = yield* wordsSteps(systemPrompt);
  if (sys.length < SHINGLE_WORDS) {
    const whole = sys.join(' ');
    return whole.length >= 20 && (yield* wordsSteps(response)).join(' ').includes(whole);
  }
  const shingles = new Set<string>();
  for (let i = 0; i + SHINGLE_WORDS <= sys.length; i += 1) shingles.add(sys.slice(i, i + SHINGLE_WORDS).join(' '));
  const out = yield* wordsSteps(response);
  const slice = new Every(SHINGLES_PER_SLICE);
  for (let i = 0; i + SHINGLE_WORDS <= out.length; i += 1) {
    if (slice.tick()) yield;
    if (shingles.has(out.slice(i, i + SHINGLE_WORDS).join(' '))) return true;
  }
  return false;
}
