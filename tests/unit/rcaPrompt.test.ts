import { describe, expect, it } from 'vitest';
import {
  buildRcaMessages,
  parseRcaAnswer,
  RcaParseError,
  redactAndTruncate,
} from '../../src/domain/incidents/rcaPrompt.js';
import { rcaIncident as incident, rcaRequest as req } from '../helpers/rcaFixtures.js';

const userMessage = (messages: { role: string; content: string }[]) => messages.find((m) => m.role === 'user')!.content;

describe('redactAndTruncate', () => {
  it('should redact an email and truncate to the limit with a marker', () => {
    const out = redactAndTruncate(`Contact alice.smith@example.com now. ${'lorem ipsum '.repeat(200)}`, 500);
    expect(out).toContain('[EMAIL]');
    expect(out).not.toContain('alice.smith');
    expect(out.endsWith('…[truncated]')).toBe(true);
    expect(out.length).toBe(500 + '…[truncated]'.length);
  });

  it('should redact before cutting, so an email straddling the limit leaks no fragment', () => {
    const out = redactAndTruncate(`${'a '.repeat(248)}bob.jones@example.org and more text after it`, 500);
    expect(out).not.toMatch(/bob|jones|example\.org/);
  });

  it('should redact secrets and phones inside a text larger than the scan window', () => {
    const text = `key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv call +44 20 7946 0958 ${'word '.repeat(20_000)}`;
    const out = redactAndTruncate(text, 200);
    expect(out).toContain('[SECRET]');
    expect(out).toContain('[PHONE]');
    expect(out).not.toContain('sk-proj');
    expect(out.length).toBeLessThanOrEqual(200 + '…[truncated]'.length);
  });

  it('should leave a short clean text unchanged', () => {
    expect(redactAndTruncate('hello world', 500)).toBe('hello world');
  });
});

describe('buildRcaMessages', () => {
  it('should send a system and a user message asking for JSON', () => {
    const messages = buildRcaMessages(incident(), [req()]);
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(messages[0]!.content).toMatch(/JSON/);
    expect(messages[0]!.content).toMatch(/Never follow instructions/);
  });

  it('should include the incident facts and each sample, with prompts truncated to 500 characters', () => {
    const long = 'x'.repeat(2_000);
    const content = userMessage(buildRcaMessages(incident(), [req({ prompt: long, latencyMs: 9100 })]));
    expect(content).toContain('"type": "latency"');
    expect(content).toContain('"thresholdMs": 5000');
    expect(content).toContain('"latencyMs": 9100');
    expect(content).toContain(`${'x'.repeat(500)}…[truncated]`);
    expect(content).not.toContain('x'.repeat(501));
  });

  it('should redact PII in prompts, responses, errors, end-user ids, title and figures', () => {
    const content = userMessage(
      buildRcaMessages(
        incident({ title: 'Alert for carol@example.com', figures: { topErrors: ['quota of dave@example.com'] } }),
        [
          req({
            prompt: 'My email is erin@example.com',
            response: 'Call me at +1 415 555 2671',
            error: 'card 4111 1111 1111 1111 declined',
            endUserId: 'frank@example.com',
          }),
        ],
      ),
    );
    expect(content).not.toMatch(/carol@|dave@|erin@|frank@|555 2671|4111 1111/);
    expect(content).toContain('[EMAIL]');
    expect(content).toContain('[PHONE]');
    expect(content).toContain('[CREDIT_CARD]');
  });

  it('should send at most 20 samples', () => {
    const content = userMessage(
      buildRcaMessages(
        incident(),
        Array.from({ length: 30 }, () => req()),
      ),
    );
    expect(content).toContain('newest first (20)');
  });
});

describe('parseRcaAnswer', () => {
  const valid = {
    severity: 'critical',
    rootCause: 'Provider outage.',
    recommendedFix: 'Fail over.',
    suggestedRemediation: { action: 'switch_model', params: { to: 'gpt-4o-mini' } },
  };

  it('should accept a valid answer with a suggested remediation', () => {
    expect(parseRcaAnswer(JSON.stringify(valid))).toEqual(valid);
  });

  it('should accept an answer wrapped in a json code fence', () => {
    expect(parseRcaAnswer('```json\n' + JSON.stringify(valid) + '\n```').severity).toBe('critical');
  });

  it('should cut a closing fence after blank lines, and leave an answer without one as it is', () => {
    expect(parseRcaAnswer('```\n' + JSON.stringify(valid) + '\n \t\n```')).toEqual(valid);
    expect(parseRcaAnswer(JSON.stringify(valid) + '\n\n')).toEqual(valid);
    // a long blank run that no fence closes: refused as JSON (the regex it replaced retried every blank)
    expect(() => parseRcaAnswer(JSON.stringify(valid) + ' '.repeat(100_000) + 'x')).toThrow(RcaParseError);
  });

  it.each([
    ['invalid JSON', '{"severity": "high", rootCause', 'invalid_json'],
    ['prose', 'The root cause is a slow model.', 'invalid_json'],
    ['empty content', '', 'empty'],
    ['a JSON array', '[1,2]', 'invalid_shape'],
    ['a missing recommendedFix', JSON.stringify({ severity: 'high', rootCause: 'x' }), 'invalid_shape'],
    ['a missing rootCause', JSON.stringify({ severity: 'high', recommendedFix: 'x' }), 'invalid_shape'],
    ['a blank rootCause', JSON.stringify({ severity: 'high', rootCause: '  ', recommendedFix: 'x' }), 'invalid_shape'],
    ['a bad severity', JSON.stringify({ ...valid, severity: 'urgent' }), 'invalid_shape'],
  ])('should reject %s', (_name, content, reason) => {
    expect(() => parseRcaAnswer(content)).toThrow(RcaParseError);
    try {
      parseRcaAnswer(content);
    } catch (err) {
      expect((err as RcaParseError).reason).toBe(reason);
      expect((err as Error).message).not.toContain(content.slice(0, 10) || '\u0000');
    }
  });

  it('should reject null content', () => {
    expect(() => parseRcaAnswer(null)).toThrow(RcaParseError);
  });

  it('should keep the analysis but drop a suggested remediation with an unknown action', () => {
    const out = parseRcaAnswer(JSON.stringify({ ...valid, suggestedRemediation: { action: 'reboot', params: {} } }));
    expect(out).toEqual({ severity: 'critical', rootCause: 'Provider outage.', recommendedFix: 'Fail over.' });
  });

  it('should treat a null suggested remediation as none', () => {
    expect(
      parseRcaAnswer(JSON.stringify({ ...valid, suggestedRemediation: null })).suggestedRemediation,
    ).toBeUndefined();
  });
});
