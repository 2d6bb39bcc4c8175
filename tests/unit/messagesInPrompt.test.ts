/**
 * A chat call's messages stored as places in their transcript (services/ingest/messagesInPrompt.ts):
 * every set of messages comes back whole from its transcript, and a prompt that is not exactly
 * their transcript is refused (the messages are then stored whole).
 */
import { describe, expect, it } from 'vitest';
import { promptOf, transcriptOf, type StoredMessage } from '../../src/domain/chat/messages.js';
import { messagesFromPrompt, referToPrompt } from '../../src/services/ingest/messagesInPrompt.js';

function rng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

const PIECES = ['a', 'é', '✓', '😀', '\n\n', 'user: ', ': ', '\n', ' ', 'Z', '\u2028', '"', '\\'];

function randomMessages(r: () => number): StoredMessage[] {
  const text = (n: number) => Array.from({ length: n }, () => PIECES[Math.floor(r() * PIECES.length)]).join('');
  return Array.from({ length: Math.floor(r() * 6) }, () => ({
    role: ['user', 'assistant', 'system', 'tool'][Math.floor(r() * 4)]!,
    content: r() < 0.2 ? '' : text(Math.floor(r() * 40)),
    ...(r() < 0.3 ? { name: text(3) } : {}),
  }));
}

describe('messages stored as places in their transcript', () => {
  it('should give 2,000 random sets of messages back whole from their transcript', () => {
    const r = rng(7);
    for (let i = 0; i < 2_000; i++) {
      const messages = randomMessages(r);
      const prompt = transcriptOf(messages);
      const stored = referToPrompt(prompt, messages);
      expect(stored).not.toBeNull();
      // through JSON, as the row's jsonb keeps it
      expect(messagesFromPrompt(JSON.parse(JSON.stringify(stored)), prompt)).toEqual(messages);
      for (const m of stored!) expect(m).not.toHaveProperty('content', expect.stringMatching(/./));
    }
  });

  it('should refuse a prompt that is not exactly their transcript', () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello 😀 there' },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'Bye' },
    ];
    const transcript = transcriptOf(messages);
    expect(referToPrompt(transcript, messages)).not.toBeNull();
    expect(referToPrompt(`${transcript} `, messages)).toBeNull();
    expect(referToPrompt(transcript.slice(0, -1), messages)).toBeNull();
    expect(referToPrompt(transcript.replace('there', 'thare'), messages)).toBeNull();
    expect(referToPrompt(transcript.replace('user: Bye', 'User: Bye'), messages)).toBeNull();
    // what the gateway stores: the text it scored, not the transcript
    expect(referToPrompt(promptOf(messages), messages)).toBeNull();
  });

  it('should leave whole messages and anything else as they are', () => {
    const whole = [{ role: 'user', content: 'hi' }];
    expect(messagesFromPrompt(whole, 'user: hi')).toBe(whole);
    expect(messagesFromPrompt(null, 'x')).toBeNull();
    expect(messagesFromPrompt({ not: 'an array' }, 'x')).toEqual({ not: 'an array' });
  });
});
