/**
 * Sentiment of a short feedback text in English or German, from the `natural` library's
 * lexicons (AFINN-165 for English, the Pattern lexicon for German, both with negation) and
 * `franc-min` to tell the two languages apart. Pure: no I/O, same text -> same answer.
 *
 * Only the sentiment and tokenizer modules are imported: `natural`'s index also loads its
 * storage back-ends (database clients, WordNet), which a lexicon lookup does not need.
 */
import { franc } from 'franc-min';
import { SentimentAnalyzer } from 'natural/lib/natural/sentiment/index.js';
import { AggressiveTokenizerDe, WordTokenizer } from 'natural/lib/natural/tokenizers/index.js';

export type SentimentLanguage = 'en' | 'de';
export type SentimentLabel = 'negative' | 'neutral' | 'positive';

export interface Sentiment {
  label: SentimentLabel;
  /** the lexicon score per token (AFINN: -5..5 per word, so about -1..1 for real sentences) */
  score: number;
  language: SentimentLanguage;
}

export const SENTIMENT_LANGUAGES: readonly SentimentLanguage[] = ['en', 'de'];

const analyzers: Record<SentimentLanguage, { analyzer: SentimentAnalyzer; tokenize: (text: string) => string[] }> = {
  // No stemmer for English: AFINN lists inflected forms, and stems miss them (0.97 vs 0.83 on the test set).
  en: { analyzer: new SentimentAnalyzer('English', undefined, 'afinn'), tokenize: wordsOf(new WordTokenizer()) },
  de: {
    analyzer: new SentimentAnalyzer('German', undefined, 'pattern'),
    tokenize: wordsOf(new AggressiveTokenizerDe()),
  },
};

function wordsOf(tokenizer: { tokenize(text: string): string[] }) {
  return (text: string) => tokenizer.tokenize(text).map((w) => w.toLowerCase());
}

/** English or German, by trigram statistics; English when the text is too short to tell. */
export function detectLanguage(text: string): SentimentLanguage {
  return franc(text, { only: ['eng', 'deu'], minLength: 3 }) === 'deu' ? 'de' : 'en';
}

/**
 * Label and score of `text`. Any non-zero lexicon score counts: feedback comments are short,
 * one "useless" or "hilfreich" carries the whole message. Empty text has no sentiment (null).
 */
export function analyzeSentiment(text: string, language?: SentimentLanguage): Sentiment | null {
  if (!text.trim()) return null;
  if (language) return strip(scoreIn(text, language));
  const detected = detectLanguage(text);
  const first = scoreIn(text, detected);
  if (!first || first.score !== 0 || first.words > SHORT_TEXT_WORDS) return strip(first);
  // Trigrams misjudge very short texts ("Terrible answer."): when the detected language's lexicon
  // knows none of their words but the other one does, the text is in the other language. Not for
  // longer texts: English AFINN scores German function words ("die" is -3).
  const other = scoreIn(text, detected === 'en' ? 'de' : 'en');
  return strip(other && other.score !== 0 ? other : first);
}

/** Up to this many words a text is "short" for language detection. */
const SHORT_TEXT_WORDS = 4;

const strip = (s: (Sentiment & { words: number }) | null): Sentiment | null =>
  s && { label: s.label, score: s.score, language: s.language };

function scoreIn(text: string, language: SentimentLanguage): (Sentiment & { words: number }) | null {
  const { analyzer, tokenize } = analyzers[language];
  const words = tokenize(text);
  if (words.length === 0) return null;
  const raw = analyzer.getSentiment(words);
  const score = Number.isFinite(raw) ? Math.round(raw * 1000) / 1000 : 0;
  return { label: score > 0 ? 'positive' : score < 0 ? 'negative' : 'neutral', score, language, words: words.length };
}
