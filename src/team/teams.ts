import { z } from 'zod';
import { etaSchema, type EtaConfig } from './eta.js';
import { dateList, weeklyHoursSchema, type TeamConfig } from './hours.js';
import { timeZoneSchema } from './local-time.js';
import { asHours, type OncallConfig } from './oncall.js';

/**
 * Teams that answer (issue 26, ETAs per team): triage categories are routed to the team that will
 * answer them — billing to a US team on US hours, technical questions to the on-call rotation —
 * and everything else to the default team (`TEAM_*`, the `team` and `eta` sections). Each team has
 * its own hours, holidays, targets and reply history, so a customer is promised the time of the
 * people who will actually answer, by the same honesty rule (src/team/eta.ts).
 *
 * A team that names an on-call `rotation` works the rotation's coverage hours (24x7 by default),
 * and its target is the minutes the person on call needs to reply (`onCallMinutes`, default
 * `eta.urgentOnCallMinutes`) at every level: a technical question at 2 a.m. is answered by whoever
 * is on call, not at 9 the next morning.
 */

const minutes = z.coerce.number().int().min(1).max(14 * 24 * 60);

const teamEntry = z.strictObject({
  /** Shown on the dashboard's Promises page; the id labels the metrics. */
  name: z.string().trim().min(1).max(100).optional(),
  categories: z.array(z.string().regex(/^[a-z][a-z_]*$/, 'categories are lowercase letters and _')).min(1, 'name the triage categories this team answers'),
  /** Unset: the default team's. */
  timeZone: timeZoneSchema.optional(),
  businessHours: weeklyHoursSchema.optional(),
  holidays: dateList.optional(),
  /** Per level, in the team's business minutes; unset levels: the default team's (`eta`). */
  firstResponseTargetMinutes: z.strictObject({ urgent: minutes.optional(), high: minutes.optional(), normal: minutes.optional(), low: minutes.optional() }).optional(),
  /** An `oncall.rotations` id: its coverage hours are this team's hours. */
  rotation: z.string().min(1).optional(),
  /** With `rotation`: the minutes promised at every level while it covers. */
  onCallMinutes: minutes.optional(),
});

export const DEFAULT_TEAM = 'default';

export const teamsSchema = z
  .record(z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'team ids are lowercase letters, digits, - and _'), teamEntry)
  .superRefine((teams, ctx) => {
    const owner = new Map<string, string>();
    for (const [id, team] of Object.entries(teams)) {
      if (id === DEFAULT_TEAM) ctx.addIssue({ code: 'custom', path: [id], message: `"${DEFAULT_TEAM}" is the team of TEAM_* (the team and eta sections); give this one another id` });
      for (const category of team.categories) {
        const other = owner.get(category);
        if (other) ctx.addIssue({ code: 'custom', path: [id, 'categories'], message: `"${category}" is already answered by team ${other}` });
        else owner.set(category, id);
      }
      if (team.onCallMinutes !== undefined && !team.rotation) ctx.addIssue({ code: 'custom', path: [id, 'onCallMinutes'], message: 'needs rotation (the on-call rotation that answers)' });
      if (team.rotation && (team.timeZone || team.businessHours || team.holidays)) {
        ctx.addIssue({ code: 'custom', path: [id, 'rotation'], message: "a rotation's coverage is the team's hours; leave out timeZone, businessHours and holidays" });
      }
    }
  })
  .default({});
export type TeamsConfig = z.output<typeof teamsSchema>;

/** A team as the promises use it. */
export interface AnsweringTeam {
  id: string;
  name: string;
  hours: TeamConfig;
  eta: EtaConfig;
  /** The on-call rotation this team is (its hours are its coverage), or null. */
  rotation: string | null;
}

export class TeamsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'TeamsError';
  }
}

export class Teams {
  readonly default: AnsweringTeam;
  readonly all: readonly AnsweringTeam[];
  private readonly byCategory = new Map<string, AnsweringTeam>();
  private readonly byIdMap = new Map<string, AnsweringTeam>();

  constructor(config: { team: TeamConfig; eta: EtaConfig; teams: TeamsConfig; oncall: OncallConfig }) {
    this.default = { id: DEFAULT_TEAM, name: 'Default team', hours: config.team, eta: config.eta, rotation: null };
    const problems: string[] = [];
    const teams = [this.default];
    for (const [id, entry] of Object.entries(config.teams)) {
      let hours: TeamConfig;
      let targets: Partial<EtaConfig['firstResponseTargetMinutes']> = entry.firstResponseTargetMinutes ?? {};
      if (entry.rotation) {
        const rotation = config.oncall.rotations[entry.rotation];
        if (!rotation) {
          problems.push(`teams.${id}.rotation: unknown rotation "${entry.rotation}" (rotations: ${Object.keys(config.oncall.rotations).join(', ') || 'none'})`);
          continue;
        }
        hours = asHours(rotation.timeZone, rotation.coverage);
        const onCall = entry.onCallMinutes ?? config.eta.urgentOnCallMinutes;
        targets = { urgent: onCall, high: onCall, normal: onCall, low: onCall, ...targets };
      } else {
        hours = {
          timeZone: entry.timeZone ?? config.team.timeZone,
          businessHours: entry.businessHours ?? config.team.businessHours,
          holidays: entry.holidays ?? config.team.holidays,
        };
      }
      // Same rules as the default team's targets (urgent ≤ high ≤ normal ≤ low), checked by its schema.
      const eta = etaSchema.safeParse({ ...config.eta, firstResponseTargetMinutes: { ...config.eta.firstResponseTargetMinutes, ...targets } });
      if (!eta.success) {
        problems.push(`teams.${id}.firstResponseTargetMinutes: ${eta.error.issues.map((i) => i.message).join('; ')}`);
        continue;
      }
      teams.push({ id, name: entry.name ?? id, hours, eta: eta.data, rotation: entry.rotation ?? null });
    }
    if (problems.length > 0) throw new TeamsError(problems);
    this.all = teams;
    for (const team of teams) this.byIdMap.set(team.id, team);
    for (const [id, entry] of Object.entries(config.teams)) for (const category of entry.categories) this.byCategory.set(category, this.byIdMap.get(id)!);
  }

  /** The team that answers a category (the conversation's main one); the default team otherwise. */
  forCategory(category: string | null | undefined): AnsweringTeam {
    return (category && this.byCategory.get(category)) || this.default;
  }

  /** A team by the id stored with a promise; a team since removed from the configuration counts as the default. */
  byId(id: string | null | undefined): AnsweringTeam {
    return (id && this.byIdMap.get(id)) || this.default;
  }
}
