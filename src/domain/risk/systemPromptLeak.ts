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

/** The chunks a text is split into words by: itself when short, else spaceChunks of WORD_CHUNK. */
function chunksOf(text: string): Iterable<string> {
  return text.length <= WORD_CHUNK ? [text] : spaceChunks(text, WORD_CHUNK);
}

/**
 * `words(text)`, a chunk at a time. A chunk ends before an ASCII space: no word crosses one,
 * and lower-casing (final sigma included) looks no further than the neighbouring letters.
 */
function* wordsSteps(text: string): Steps<string[]> {
  if (text.length <= WORD_CHUNK) return words(text);
  const out: string[] = [];
  for (const chunk of chunksOf(text)) {
    for (const word of words(chunk)) out.push(word);
    yield;
  }
  return out;
}

/**
 * Characters of the system prompt whose shingles are looked for (the detector's budget): a
 * project's system prompt is at most 20,000, but a chat call's system messages may hold 2 MB,
 * and building the shingles of a megabyte took 60-290 ms. Cut before an ASCII space, so no word
 * is cut in two.
 */
export const LEAK_SYSTEM_PROMPT_CHARS = 64 * 1024;

/** The part of the system prompt the leak check compares (LEAK_SYSTEM_PROMPT_CHARS). */
export function comparedSystemPrompt(systemPrompt: string): string {
  if (systemPrompt.length <= LEAK_SYSTEM_PROMPT_CHARS) return systemPrompt;
  const space = systemPrompt.lastIndexOf(' ', LEAK_SYSTEM_PROMPT_CHARS);
  return systemPrompt.slice(0, space > 0 ? space : LEAK_SYSTEM_PROMPT_CHARS);
}

/**
 * Distinct words of the system prompt, longest first, looked for in the lower-cased response
 * before it is split into words (one `includes` each, at memory speed).
 */
const PRESENCE_CHECKS = 32;

/**
 * The system prompt's shingles that can still occur in the response: a shingle is a run of the
 * response's words, each of which occurs in the lower-cased response as it is, so one holding a
 * word the response does not contain cannot occur. Splitting a crafted megabyte into its 450,000
 * words takes 60-100 ms; most responses lack some word of every shingle, and this says so first.
 */
function possibleShingles(shingles: readonly string[][], sys: readonly string[], lower: string): readonly string[][] {
  let alive = shingles;
  const longestFirst = [...new Set(sys)].sort((a, b) => b.length - a.length).slice(0, PRESENCE_CHECKS);
  for (const word of longestFirst) {
    if (lower.includes(word)) continue;
    alive = alive.filter((shingle) => !shingle.includes(word));
    if (alive.length === 0) break;
  }
  return alive;
}

/**
 * Verbatim reuse of SHINGLE_WORDS consecutive words of the system prompt (linear, via a set).
 * Shingles holding a word the response lacks are set aside first (possibleShingles). A shingle
 * of the response can then only be one of the rest when each of its words is one of theirs, so
 * only where the run of such words reaches SHINGLE_WORDS is a shingle built and looked up.
 * Building one at every word (an array and a joined string each) and splitting every response
 * into words took 95-240 ms for a crafted megabyte of response, against 5-50 without a system
 * prompt. Of a system prompt longer than LEAK_SYSTEM_PROMPT_CHARS only that much is compared.
 * `responseLower` is the response lower-cased, when the caller has it.
 */
export function* leaksSystemPrompt(response: string, systemPrompt: string, responseLower?: string): Steps<boolean> {
  const sys = yield* wordsSteps(comparedSystemPrompt(systemPrompt));
  const lower = responseLower ?? response.toLowerCase();
  if (sys.length < SHINGLE_WORDS) {
    const whole = sys.join(' ');
    if (whole.length < 20 || possibleShingles([sys], sys, lower).length === 0) return false;
    return (yield* wordsSteps(response)).join(' ').includes(whole);
  }
  const all = new Map<string, string[]>();
  for (let i = 0; i + SHINGLE_WORDS <= sys.length; i += 1) {
    const shingle = sys.slice(i, i + SHINGLE_WORDS);
    all.set(shingle.join(' '), shingle);
  }
  const alive = possibleShingles([...all.values()], sys, lower);
  if (alive.length === 0) return false;
  const shingles = new Set(alive.map((shingle) => shingle.join(' ')));
  const shingleWords = new Set(alive.flat());
  const slice = new Every(SHINGLES_PER_SLICE);
  let run = 0; // consecutive words of the remaining shingles ending at the current one
  let carry: string[] = []; // the last words of the chunks before, for a shingle across two
  // The response's words a chunk at a time, as wordsSteps splits them: a leak near the start is
  // found without splitting the rest.
  for (const chunk of chunksOf(response)) {
    const out = carry.length > 0 ? carry.concat(words(chunk)) : words(chunk);
    for (let i = carry.length; i < out.length; i += 1) {
      if (slice.tick()) yield;
      run = shingleWords.has(out[i]!) ? run + 1 : 0;
      if (run >= SHINGLE_WORDS && shingles.has(out.slice(i + 1 - SHINGLE_WORDS, i + 1).join(' '))) return true;
    }
    carry = out.slice(Math.max(0, out.length - (SHINGLE_WORDS - 1)));
    yield;
  }
  return false;
}
