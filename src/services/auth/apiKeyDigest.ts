/**
 * How an API key is stored and looked up: HMAC-SHA-256 under the server pepper, never in clear.
 * Its own module because both the key service (on create) and the key cache (on every call) use it.
 */
import { env } from '../../config/env.js';
import { hmacSha256Hex } from '../../utils/crypto.js';

export function digestApiKey(key: string, pepper = env.API_KEY_PEPPER): string {
  return hmacSha256Hex(key, pepper);
}
