import { describe, expect, it } from 'vitest';
import { analyzeSentiment, detectLanguage } from '../../src/domain/feedback/sentiment.js';
import { LABELLED } from '../helpers/sentimentFixtures.js';

function accuracy(lang: 'en' | 'de', withLanguage: boolean): number {
  const rows = LABELLED.filter(([l]) => l === lang);
  const hits = rows.filter(([l, label, text]) => analyzeSentiment(text, withLanguage ? l : undefined)?.label === label);
  return hits.length / rows.length;
}

describe('sentiment of feedback comments (natural: AFINN-165 for English, Pattern for German)', () => {
  // Measured on the 60 labelled sentences (30 per language, 10 per label): EN 0.97, DE 0.87 with
  // the language given, the same with the language detected. The bounds leave one miss of slack.
  it('should label at least 93% of the English sentences as a reader does', () => {
    expect(accuracy('en', true)).toBeGreaterThanOrEqual(0.93);
  });

  it('should label at least 83% of the German sentences as a reader does', () => {
    expect(accuracy('de', true)).toBeGreaterThanOrEqual(0.83);
  });

  it('should keep that accuracy when the language is detected rather than given', () => {
    expect(accuracy('en', false)).toBeGreaterThanOrEqual(0.9);
    expect(accuracy('de', false)).toBeGreaterThanOrEqual(0.83);
  });

  it('should tell German from English on the labelled sentences (at most one miss)', () => {
    const misses = LABELLED.filter(([lang, , text]) => detectLanguage(text) !== lang);
    expect(misses.length).toBeLessThanOrEqual(1);
  });

  it('should score clear cases with the expected sign', () => {
    expect(analyzeSentiment('This answer is wrong and useless.')).toMatchObject({ label: 'negative', language: 'en' });
    expect(analyzeSentiment('Diese Antwort ist falsch und nutzlos.')).toMatchObject({
      label: 'negative',
      language: 'de',
    });
    expect(analyzeSentiment('Excellent summary, clear and accurate.')).toMatchObject({ label: 'positive' });
    expect(analyzeSentiment('Ausgezeichnete Zusammenfassung, klar und korrekt.')).toMatchObject({ label: 'positive' });
    expect(analyzeSentiment('The table has five columns.')).toMatchObject({ label: 'neutral', score: 0 });
  });

  it('should read a two-word English comment in English although trigrams guess German', () => {
    expect(analyzeSentiment('Terrible answer.')).toMatchObject({ label: 'negative', language: 'en' });
    expect(analyzeSentiment('Schlecht.')).toMatchObject({ label: 'negative', language: 'de' });
  });

  it('should have no sentiment for an empty or blank comment', () => {
    expect(analyzeSentiment('')).toBeNull();
    expect(analyzeSentiment('   ')).toBeNull();
    expect(analyzeSentiment('...')).toBeNull();
  });
});
