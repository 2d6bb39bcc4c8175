/** A UTF-16 code unit past Latin-1 (U+0100 and up, surrogates included). */
const BEYOND_LATIN1 = /[\u0100-\uffff]/;

/**
 * Whether every character of `text` is Latin-1 (under U+0100), so that it is one byte a character
 * as `latin1` bytes. V8 answers at once for the strings it stores one byte a character.
 */
export const isLatin1 = (text: string): boolean => !BEYOND_LATIN1.test(text);
