/** Crafted 1 MB texts (issue 24, item 3): bench:adversarial scores them, bench:soak mixes them into traffic. */
const MB = 1024 * 1024;

/** `unit` repeated to just under 1 MB of UTF-8 (the prompt and response limit). */
const fill = (unit: string) => unit.repeat(Math.floor(MB / Buffer.byteLength(unit)));

function phoneLike(): string {
  const parts: string[] = [];
  let bytes = 0;
  for (let i = 0; bytes < MB - 32; i++) {
    const part = `+1 415 555 ${String(1000 + (i % 9000))} `;
    parts.push(part);
    bytes += part.length;
  }
  return parts.join('');
}

export const SHAPES: { name: string; text: string; before: string }[] = [
  { name: '"+123456789 " x 95k', text: fill('+123456789 '), before: '2.32 s, /healthz stalled 2.26 s' },
  { name: 'phone-like numbers', text: phoneLike(), before: '1.4-2.3 s' },
  { name: 'short emails "a@b.co "', text: fill('a@b.co '), before: '1.3 s (2.1 s with piiMode redact)' },
  { name: 'card-like digit runs', text: fill('4111111111111111 '), before: '0.8-0.9 s' },
  { name: 'IBAN-like', text: fill('DE89370400440532013000 '), before: '-' },
  { name: 'SSN-like', text: fill('123-45-6789 '), before: '-' },
  { name: 'U+FDFA x 333k', text: '\uFDFA'.repeat(Math.floor(MB / 3)), before: '0.46 s' },
  // Cyrillic look-alike words in Latin text: the confusables fold re-read the text per word
  { name: 'look-alike words "ор a "', text: fill('ор a '), before: '80 KB: 87 s (quadratic fold)' },
  { name: 'English prose (reference)', text: fill('Please summarise this ticket and draft a reply. '), before: '-' },
];
