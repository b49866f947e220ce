/**
 * The urgency lexicon is data (lexicon.yaml next to this file): categories of terms and phrases
 * with weights, the thresholds between levels and the weights of non-text signals. It is
 * validated with zod once and compiled into an index by first stem, so people tuning it edit
 * YAML, not code.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { expandWord } from './tokens.js';
import { stem, tokenizeWords } from './natural.js';

const weight = z.number().finite();

/**
 * What a category's evidence is: a `problem` reported (an outage, a compromised account), an
 * `amplifier` of a problem (many people, a deadline, shouting) that counts fully only beside one,
 * a `topic` that weighs on its own without being a failure (a data-subject request), `calm` (a
 * question, thanks, a recovery), or `neutral` (phrases that only stop an alarm word from matching
 * in another sense).
 */
export const ROLES = ['problem', 'amplifier', 'topic', 'calm', 'neutral'] as const;
export type Role = (typeof ROLES)[number];

const CategorySchema = z.object({
  role: z.enum(ROLES),
  /**
   * The topic routing knows it by (escalation policies, incident clustering, the acknowledgement's
   * wording), when it is a finer reading of one: account_compromise is `security`. Default: itself.
   */
  topic: z.string().regex(/^[a-z][a-z_]*$/).optional(),
  description: z.string().min(1),
  /**
   * phrase → weight. Words are matched after stemming; `*` stands for up to two words; `=word`
   * matches that word exactly, for words whose stem collides ("=production" is not "product").
   */
  terms: z.record(z.string().min(1), weight),
});

const ThresholdsSchema = z
  .object({ urgent: weight, high: weight, low: weight })
  .refine((t) => t.urgent > t.high && t.high > t.low, { message: 'thresholds must satisfy urgent > high > low' });

export const LexiconSchema = z.object({
  version: z.literal(1),
  thresholds: ThresholdsSchema,
  scoring: z.object({
    /** Each further hit in one category counts this much of the previous one. */
    repeatDecay: z.number().min(0).max(1),
    /** Alarm words inside a question ("is it down for maintenance?") count this much. */
    questionFactor: z.number().min(0).max(1),
    /** Phrases in a "Re:"/"Fwd:" subject count this much: it was written for an earlier message. */
    replySubjectFactor: z.number().min(0).max(1),
    negation: z.object({
      terms: z.array(z.string().min(1)).min(1),
      /** How many words after a negator it still reaches (never past a clause). */
      window: z.int().min(1).max(8),
      /** A negated alarm ("isn't down") counts as minus this share of its weight. */
      flip: z.number().min(0).max(1),
    }),
    confidence: z.object({ highMargin: z.number().positive(), mediumMargin: z.number().positive() }),
    hypothetical: z.object({
      /** Words that open a hypothetical clause ("if", "in case", "what if"): alarms after them in it are not reports. */
      terms: z.array(z.string().min(1)).min(1),
      /** An alarm in a hypothetical clause counts this much. */
      factor: z.number().min(0).max(1),
    }),
    /** Amplifiers (many people, deadlines, "urgent", shouting) count this much when no problem is reported. */
    amplifierWithoutProblem: z.number().min(0).max(1),
    /** Calm evidence (a question, thanks, a request) counts this much when no problem is reported. */
    calmWithoutProblem: z.number().min(1).max(4),
    /** An alarm reported before a recovery ("site was down … working again now") counts this much. */
    resolvedFactor: z.number().min(0).max(1),
  }),
  signals: z.object({
    allCaps: weight,
    exclamations: weight,
    repeatContact: weight,
    /** Multipliers on a positive score: paying and higher tiers weigh more. */
    planTier: z.object({ free: z.number().positive(), trial: z.number().positive(), paid: z.number().positive(), enterprise: z.number().positive() }),
    channel: z.object({ chat: weight, email: weight, helpdesk: weight }),
    /** The deadline reader (time-words.ts): near deadlines push up, far ones down, a duration adds to a stoppage. */
    timeWords: z.object({ today: weight, clock: weight, tomorrow: weight, soon: weight, far: weight, since: weight }),
    /** "240 employees", "all 1,200 staff": a count of people (from 10, and from 100) affected. */
    manyPeople: z.object({ ten: weight, hundred: weight }),
    /** A message that is only an acknowledgement ("ok", "thx", "great, that worked"). */
    acknowledgement: weight,
    /** "can't open", "won't load", "hasn't arrived" where no phrase covers the words (readings.ts). */
    notHappening: weight,
  }),
  categories: z.record(z.string().regex(/^[a-z][a-z_]*$/), CategorySchema),
});

export type Lexicon = z.infer<typeof LexiconSchema>;

/** One word of a phrase: its stem, and the exact word when it must match unstemmed. */
export interface PhraseWord {
  stem: string;
  exact: string | null;
}

export interface CompiledPhrase {
  category: string;
  phrase: string;
  weight: number;
  /** Words to match; null is a wildcard (`*`). */
  words: (PhraseWord | null)[];
  /** Phrases that contain a negator ("not working") are never negated themselves. */
  containsNegator: boolean;
}

export interface CompiledLexicon {
  source: Lexicon;
  /**
   * Phrases by their first two stems ("not working" under "not work"), and those whose second
   * word is a wildcard or absent by their first stem alone: a message's common words ("not",
   * "can", "is") then try only the few phrases that can match there.
   */
  byFirstTwo: Map<string, Map<string, CompiledPhrase[]>>;
  byFirstStem: Map<string, CompiledPhrase[]>;
  negators: Set<string>;
  /** Words (as stems) that open a hypothetical clause: "if", "in case", "what if". */
  hypotheticals: string[][];
  /** Their first stems, to skip every other word quickly. */
  hypotheticalStarts: ReadonlySet<string>;
  /** Each category's role (see ROLES). */
  roles: ReadonlyMap<string, Role>;
  /** Categories that route as another topic (account_compromise → security). */
  topics: ReadonlyMap<string, string>;
  /**
   * How much each evidence category counts (weights.yaml, fitted by `npm run triage:tune`): an
   * evidence item's weight is its phrase's written weight times its category's scale. A category
   * not listed counts as written (1).
   */
  scales: ReadonlyMap<string, number>;
}

/** What `npm run triage:tune` fits: one scale per evidence category, and the level thresholds. */
export const WeightsSchema = z.object({
  version: z.literal(1),
  thresholds: ThresholdsSchema,
  scales: z.record(z.string().regex(/^[a-z][a-z_]*$/), z.number().min(0).max(10)),
});
export type Weights = z.infer<typeof WeightsSchema>;

export class LexiconError extends Error {
  override readonly name = 'LexiconError';
}

/** Words of a phrase, normalised and stemmed exactly as message text is. */
export function phraseWords(phrase: string): (PhraseWord | null)[] {
  const out: (PhraseWord | null)[] = [];
  for (const part of phrase.trim().split(/\s+/)) {
    if (part === '*') {
      out.push(null);
      continue;
    }
    const exact = part.startsWith('=');
    for (const word of tokenizeWords(part)) {
      for (const norm of expandWord(word)) out.push({ stem: stem(norm), exact: exact ? norm : null });
    }
  }
  return out;
}

function wordKey(word: PhraseWord | null): string {
  return word === null ? '*' : (word.exact ?? `~${word.stem}`);
}

export function compileLexicon(lexicon: Lexicon): CompiledLexicon {
  const negators = new Set(lexicon.scoring.negation.terms.flatMap((t) => phraseWords(t)).flatMap((w) => (w ? [w.stem] : [])));
  const byFirstStem = new Map<string, CompiledPhrase[]>();
  const byFirstTwo = new Map<string, Map<string, CompiledPhrase[]>>();
  const seen = new Map<string, string>();
  for (const [category, { terms }] of Object.entries(lexicon.categories)) {
    for (const [phrase, weight] of Object.entries(terms)) {
      const words = phraseWords(phrase);
      const first = words[0];
      if (first === undefined || first === null || words[words.length - 1] === null) {
        throw new LexiconError(`lexicon: phrase "${phrase}" in ${category} must start and end with a word`);
      }
      const key = words.map(wordKey).join(' ');
      const previous = seen.get(key);
      if (previous !== undefined) {
        throw new LexiconError(`lexicon: phrase "${phrase}" in ${category} matches the same words as one in ${previous}`);
      }
      seen.set(key, category);
      const compiled: CompiledPhrase = {
        category,
        phrase,
        weight,
        words,
        containsNegator: words.some((w) => w !== null && negators.has(w.stem)),
      };
      const second = words[1];
      let index = byFirstStem;
      let indexKey = first.stem;
      if (second) {
        index = byFirstTwo.get(first.stem) ?? new Map<string, CompiledPhrase[]>();
        byFirstTwo.set(first.stem, index);
        indexKey = second.stem;
      }
      const list = index.get(indexKey) ?? [];
      list.push(compiled);
      index.set(indexKey, list);
    }
  }
  const hypotheticals = lexicon.scoring.hypothetical.terms.map((t) => phraseWords(t).flatMap((w) => (w ? [w.stem] : [])));
  const roles = new Map(Object.entries(lexicon.categories).map(([name, c]) => [name, c.role]));
  const topics = new Map(Object.entries(lexicon.categories).flatMap(([name, c]) => (c.topic ? [[name, c.topic] as const] : [])));
  const hypotheticalStarts = new Set(hypotheticals.flatMap((words) => words.slice(0, 1)));
  return { source: lexicon, byFirstTwo, byFirstStem, negators, hypotheticals, hypotheticalStarts, roles, topics, scales: new Map() };
}

/** The lexicon with fitted scales and thresholds (weights.yaml) in place of the written ones. */
export function withWeights(lexicon: CompiledLexicon, weights: Pick<Weights, 'thresholds' | 'scales'>): CompiledLexicon {
  return { ...lexicon, source: { ...lexicon.source, thresholds: weights.thresholds }, scales: new Map(Object.entries(weights.scales)) };
}

/** The lexicon as its author wrote it: every category at scale 1, the written thresholds. */
export function asWritten(lexicon: CompiledLexicon): CompiledLexicon {
  return { ...lexicon, scales: new Map() };
}

/** YAML validated by `schema`; errors name the file kind, the origin and the first issue's path. */
function parseValidated<T>(schema: z.ZodType<T>, kind: string, text: string, origin: string): T {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new LexiconError(`${kind} ${origin}: not valid YAML (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LexiconError(`${kind} ${origin}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data;
}

export function parseLexicon(text: string, origin: string): CompiledLexicon {
  return compileLexicon(parseValidated(LexiconSchema, 'lexicon', text, origin));
}

export function loadLexicon(path: string | URL): CompiledLexicon {
  return parseLexicon(readFileSync(path, 'utf8'), String(path));
}

export function parseWeights(text: string, origin: string): Weights {
  return parseValidated(WeightsSchema, 'weights', text, origin);
}

export function loadWeights(path: string | URL): Weights {
  return parseWeights(readFileSync(path, 'utf8'), String(path));
}

/** Where the shipped lexicon and its fitted weights live. */
export const SHIPPED_LEXICON = new URL('./lexicon.yaml', import.meta.url);
export const SHIPPED_WEIGHTS = new URL('./weights.yaml', import.meta.url);

let shipped: CompiledLexicon | undefined;

/** The lexicon shipped with the hub with its fitted weights, loaded and validated once. */
export function defaultLexicon(): CompiledLexicon {
  shipped ??= withWeights(loadLexicon(SHIPPED_LEXICON), loadWeights(SHIPPED_WEIGHTS));
  return shipped;
}
