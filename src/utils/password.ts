/**
 * Password hashing (bcrypt, cost from config) and strength rules: at least 10 characters,
 * letters and digits, and not guessable per zxcvbn-ts with its common-password dictionaries
 * (a maintained list, not a hand-made one).
 */
import bcrypt from 'bcryptjs';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import { env } from '../config/env.js';

const COST = env.BCRYPT_COST ?? (env.NODE_ENV === 'production' ? 12 : env.NODE_ENV === 'test' ? 4 : 10);
export const MIN_PASSWORD_LENGTH = 10;
/** zxcvbn score (0-4) a password must reach. */
const MIN_SCORE = 3;

const zxcvbn = new ZxcvbnFactory({
  dictionary: zxcvbnCommon.dictionary,
  graphs: zxcvbnCommon.adjacencyGraphs,
});

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, COST);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

/** A real hash to compare against when the user does not exist, so both paths cost the same. */
export const DUMMY_PASSWORD_HASH = bcrypt.hashSync('not-a-real-password-0', COST);

/** Returns the reasons a password is too weak (empty when acceptable). */
export function passwordProblems(password: string, userInputs: string[] = []): string[] {
  const problems: string[] = [];
  if (password.length < MIN_PASSWORD_LENGTH) problems.push(`must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (!/\p{L}/u.test(password) || !/\p{N}/u.test(password)) problems.push('must contain letters and digits');
  if (password.length > 256) problems.push('must be at most 256 characters');
  if (problems.length === 0) {
    // The user's own email, name and their parts count as guessable words.
    const words = userInputs.flatMap((input) => [input, ...input.split(/[@._\-\s]+/)]).filter((w) => w.length >= 3);
    const result = zxcvbn.check(password, words);
    if (result.score < MIN_SCORE) {
      problems.push(result.feedback.warning ? `is too common or guessable` : 'is too easy to guess');
    }
  }
  return problems;
}
