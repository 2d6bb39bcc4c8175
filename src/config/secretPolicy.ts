/**
 * What production accepts as a secret. Anyone can read the placeholders this repository ships
 * (docker-compose*.yml, .env.example), and a known JWT secret lets anyone mint `role=admin`, so
 * production refuses them and anything guessable. tests/unit/secretPolicy.test.ts keeps the list
 * below in sync with those files (every shipped value of a secret variable must be refused).
 */

/** Every placeholder value the repository ships for a secret, without a key ring's `kid:` prefix. */
export const PLACEHOLDER_SECRETS: readonly string[] = [
  // docker-compose.yml, docker-compose.replicas.yml
  'CHANGE_ME_at_least_32_characters_long_secret',
  'CHANGE_ME_at_least_32_characters_long_pepper',
  'CHANGE_ME_base64_of_32_random_bytes=',
  'CHANGE_ME_db_password',
  // .env.example: DATABASE_URL=postgresql://user:password@localhost:5432/llmguard
  ':password@',
  // .env.example (commented-out examples)
  '<random 48+ chars>',
  '<base64>',
  '<base64 32 bytes>',
  'sk-...',
  'sk_live_...',
  'whsec_...',
];

/** Secrets we generate ourselves must carry at least this much entropy in production: 32 bytes. */
export const MIN_SECRET_BITS = 256;
/** Below this per-character Shannon entropy a string is mostly repeats (random hex: ~3.8). */
export const MIN_SHANNON_BITS_PER_CHAR = 3;

const ALPHABETS: { size: number; pattern: RegExp }[] = [
  { size: 10, pattern: /^[0-9]+$/ },
  { size: 16, pattern: /^(?:[0-9a-f]+|[0-9A-F]+)$/ },
  { size: 62, pattern: /^[0-9A-Za-z]+$/ },
  { size: 64, pattern: /^[0-9A-Za-z+/]+$/ },
  { size: 64, pattern: /^[0-9A-Za-z_-]+$/ },
  { size: 95, pattern: /^[\x20-\x7e]+$/ },
];

/** Shannon entropy of the string's characters, in bits per character. */
export function shannonBitsPerChar(value: string): number {
  const chars = [...value];
  const counts = new Map<string, number>();
  for (const ch of chars) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * Estimated entropy of a secret in bits: its length (base64 padding dropped) times log2 of the
 * smallest usual alphabet that holds all its characters (digits 10, hex 16, alphanumeric 62,
 * base64 or base64url 64, printable ASCII 95; anything else counts as 95). This is what a
 * uniformly random string of that shape carries, so it is an upper bound, which is why
 * `secretProblem` also refuses strings of mostly repeated characters.
 */
export function estimateSecretBits(value: string): number {
  const body = value.replace(/(?<!=)=+$/, '');
  if (body.length === 0) return 0;
  const alphabet = ALPHABETS.find((a) => a.pattern.test(body))?.size ?? 95;
  return [...body].length * Math.log2(alphabet);
}

/** Why a credential issued by someone else (Stripe, OpenAI, a database URL) may not be used, or null. */
export function placeholderProblem(value: string): string | null {
  return /change[_-]?me/i.test(value) || PLACEHOLDER_SECRETS.some((p) => value.includes(p))
    ? 'is a placeholder shipped with LLMGuard; set a real value'
    : null;
}

/** Why a secret of ours may not be used in production (placeholder, too little entropy), or null. */
export function secretProblem(secret: string): string | null {
  const placeholder = placeholderProblem(secret);
  if (placeholder) return placeholder;
  const bits = estimateSecretBits(secret);
  if (bits < MIN_SECRET_BITS) {
    return `has about ${Math.floor(bits)} bits of entropy; production needs ${MIN_SECRET_BITS} (32 random bytes, e.g. base64 of randomBytes(32))`;
  }
  if (shannonBitsPerChar(secret) < MIN_SHANNON_BITS_PER_CHAR) {
    return 'is mostly repeated characters; generate a random one';
  }
  return null;
}
