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
  const lang = language ?? detectLanguage(text);
  const { analyzer, tokenize } = analyzers[lang];
  const words = tokenize(text);
  if (words.length === 0) return null;
  const raw = analyzer.getSentiment(words);
  const score = Number.isFinite(raw) ? Math.round(raw * 1000) / 1000 : 0;
  return { label: score > 0 ? 'positive' : score < 0 ? 'negative' : 'neutral', score, language: lang };
}
