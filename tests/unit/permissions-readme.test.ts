/** README's "Who may do what" table is the rule of src/domain/permissions.ts, cell for cell. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decide, PERMISSIONS, standingOf, type Action, type Standing } from '../../src/domain/permissions.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const ROWS: Record<string, Standing> = {
  'worker of the team': 'worker',
  'manager of the team': 'manager',
  'admin of the team': 'admin',
  'worker of another team': 'otherTeam',
  'deactivated worker': 'deactivated',
  stranger: 'stranger',
};
const COLUMNS: Record<string, Action> = {
  'reply by SMS': 'reply',
  '`!aide`': 'help',
  '`!lier`': 'link',
  '`!absent`': 'away',
  '`!present`': 'back',
  '`!termine`': 'done',
  '`!historique`': 'history',
  '`!rdv`': 'appointment',
  '`!langue`': 'language',
  'be in the rooms': 'member',
};

function readmeTable(): { columns: string[]; rows: string[][] } {
  const section = README.slice(README.indexOf('### Who may do what'));
  const all = section.split('\n');
  const start = all.findIndex((l) => l.startsWith('|'));
  const end = all.findIndex((l, i) => i > start && !l.startsWith('|'));
  const lines = all.slice(start, end);
  const cells = (l: string) => l.split('|').slice(1, -1).map((c) => c.trim());
  const [header = '', , ...body] = lines;
  return { columns: cells(header).slice(1), rows: body.map(cells) };
}

describe('who may do what', () => {
  it('README has a column for every action and a row for every standing', () => {
    const { columns, rows } = readmeTable();
    expect(columns.map((c) => COLUMNS[c]).sort()).toEqual(Object.values(COLUMNS).sort());
    expect(rows.map((r) => ROWS[r[0] ?? '']).sort()).toEqual(Object.keys(PERMISSIONS).sort());
  });

  it('README says yes exactly where the table allows', () => {
    const { columns, rows } = readmeTable();
    for (const row of rows) {
      const standing = ROWS[row[0] ?? ''] as Standing;
      columns.forEach((c, i) => {
        const action = COLUMNS[c] as Action;
        expect(row[i + 1], `${standing} × ${action}`).toBe(PERMISSIONS[standing].has(action) ? 'yes' : 'no');
      });
    }
  });

  it('places an account by its worker record towards the room’s team', () => {
    const team = 'team-a';
    expect(standingOf(null, team)).toBe('stranger');
    expect(standingOf({ team: 'team-a', role: 'manager', active: true }, team)).toBe('manager');
    expect(standingOf({ team: 'team-b', role: 'admin', active: true }, team)).toBe('otherTeam');
    expect(standingOf({ team: 'team-a', role: 'worker', active: false }, team)).toBe('deactivated');
    expect(decide('manager', 'history')).toEqual({ allowed: false, reason: 'role' });
    expect(decide('otherTeam', 'link')).toEqual({ allowed: false, reason: 'notInTeam' });
    expect(decide('deactivated', 'reply')).toEqual({ allowed: false, reason: 'deactivated' });
    expect(decide('admin', 'reply')).toEqual({ allowed: true });
  });
});
