/**
 * The lexicon is data people edit: it must be validated with clear messages, and its phrase
 * syntax (stems, `*`, `=exact`, longest match) must mean what lexicon.yaml says it means.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { classify } from '../../src/triage/classify.js';
import { defaultLexicon, LexiconError, parseLexicon, type Lexicon } from '../../src/triage/lexicon.js';

const shippedYaml = readFileSync(new URL('../../src/triage/lexicon.yaml', import.meta.url), 'utf8');

function withCategories(categories: Lexicon['categories'], patch: Partial<Lexicon> = {}): string {
  const base = parse(shippedYaml) as Lexicon;
  return stringify({ ...base, ...patch, categories });
}

const outageOnly = (terms: Record<string, number>) => withCategories({ outage: { role: 'problem', description: 'test', terms } });

describe('lexicon validation', () => {
  it('the shipped lexicon loads and has the categories the issue names', () => {
    const categories = Object.keys(defaultLexicon().source.categories);
    for (const c of ['outage', 'data_loss', 'security', 'payment_failure', 'locked_out', 'legal_churn', 'time_pressure']) {
      expect(categories).toContain(c);
    }
  });

  it('rejects thresholds out of order, naming them', () => {
    const yaml = withCategories({}, { thresholds: { urgent: 1, high: 2, low: -1 } });
    expect(() => parseLexicon(yaml, 'test.yaml')).toThrow(/test\.yaml: thresholds: .*urgent > high > low/);
  });

  it('rejects a weight that is not a number, naming the phrase', () => {
    const yaml = withCategories({ outage: { role: 'problem', description: 'x', terms: { crash: 'lots' as unknown as number } } });
    expect(() => parseLexicon(yaml, 'test.yaml')).toThrow(/categories\.outage\.terms\.crash/);
  });

  it('rejects two phrases that match the same words (after stemming), naming both categories', () => {
    const yaml = withCategories({
      outage: { role: 'problem', description: 'x', terms: { crash: 2 } },
      malfunction: { role: 'problem', description: 'y', terms: { crashes: 1 } },
    });
    expect(() => parseLexicon(yaml, 'test.yaml')).toThrow(LexiconError);
    expect(() => parseLexicon(yaml, 'test.yaml')).toThrow(/malfunction.*outage/);
  });

  it('rejects a phrase that starts with a wildcard', () => {
    expect(() => parseLexicon(outageOnly({ '* down': 2 }), 't')).toThrow(/must start and end with a word/);
  });

  it('rejects text that is not YAML', () => {
    expect(() => parseLexicon('thresholds: [1, 2', 't.yaml')).toThrow(/t\.yaml: not valid YAML/);
  });
});

describe('phrase syntax', () => {
  it('matches on stems: "crash" also finds "crashed"', () => {
    const lexicon = parseLexicon(outageOnly({ crash: 2 }), 't');
    expect(classify({ text: 'The app crashed twice' }, lexicon).evidence.map((e) => e.phrase)).toEqual(['crashed']);
  });

  it('"*" spans up to two words within a sentence', () => {
    const lexicon = parseLexicon(withCategories({ data_loss: { role: 'problem', description: 'x', terms: { 'lost * data': 3 } } }), 't');
    expect(classify({ text: 'We lost all our data.' }, lexicon).evidence.map((e) => e.phrase)).toEqual(['lost all our data']);
    expect(classify({ text: 'We lost the keys to our data.' }, lexicon).evidence).toEqual([]);
    expect(classify({ text: 'Nothing was lost. Data is fine.' }, lexicon).evidence).toEqual([]);
  });

  it('"=word" matches that exact word, not others with the same stem', () => {
    const lexicon = parseLexicon(outageOnly({ '=production': 2 }), 't');
    expect(classify({ text: 'Our product page' }, lexicon).evidence).toEqual([]);
    expect(classify({ text: 'Down in production' }, lexicon).evidence.map((e) => e.phrase)).toEqual(['production']);
  });

  it('the longest overlapping phrase wins', () => {
    const lexicon = parseLexicon(
      withCategories({
        outage: { role: 'problem', description: 'x', terms: { down: 2 } },
        maintenance_question: { role: 'problem', description: 'y', terms: { 'down for maintenance': -1 } },
      }),
      't',
    );
    const evidence = classify({ text: 'Is it down for maintenance?' }, lexicon).evidence;
    expect(evidence.map((e) => [e.phrase, e.category])).toEqual([['down for maintenance', 'maintenance_question']]);
  });

  it('a weight-0 phrase blocks a shorter alarm phrase and is not shown as evidence', () => {
    const lexicon = parseLexicon(
      withCategories({ outage: { role: 'problem', description: 'x', terms: { down: 2 } }, not_an_alarm: { role: 'problem', description: 'y', terms: { 'drop down': 0 } } }),
      't',
    );
    expect(classify({ text: 'The drop down is empty' }, lexicon).evidence).toEqual([]);
  });
});
