import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { MoveJournal, progressOf, reportSteps } from '../../src/moves/journal.js';
import { STEPS } from '../../src/moves/move-steps.js';
import { STEP_NAMES } from '../../src/moves/move-types.js';
import { injectionFromEnv } from '../../src/moves/failure-injection.js';
import { moveKeys } from '../../src/moves/store-keys.js';

/** The journal and the step table without daemons: schema on write and replay, and the resume rule. */
const root = mkdtempSync(join(tmpdir(), 'mvj-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const store = () => new FileStore(join(mkdtempSync(join(root, 's-')), 'store.json'));

describe('move journal', () => {
  it('the step table, the step names and schemas/move-journal.json agree', () => {
    expect(STEPS.map((s) => s.name)).toEqual([...STEP_NAMES]);
    const schema = JSON.parse(readFileSync('schemas/move-journal.json', 'utf8'));
    expect(schema.$defs.stepEntry.properties.step.enum).toEqual([...STEP_NAMES]);
    // Undo exists up to start-target; from remove-source on a move only goes forward.
    expect(STEPS.map((s) => [s.name, s.onCrash, s.undo !== null])).toEqual([
      ['fence', 'rollback', true], ['stop-source', 'rollback', true], ['release-address', 'rollback', true],
      ['move-dataset', 'rollback', true], ['claim-address', 'rollback', true], ['start-target', 'rollback', true],
      ['remove-source', 'resume', false], ['drop-lease', 'resume', false],
    ]);
  });

  it('appends in order and reports per-step states and timings', async () => {
    const s = store();
    const j = new MoveJournal(s, 'mv-abc123');
    await j.event('accepted');
    await j.step('fence', 'do', 'started');
    await j.step('fence', 'do', 'done', { note: 'appdata' });
    await j.step('stop-source', 'do', 'started');
    await j.step('stop-source', 'do', 'failed', { error: 'boom' });
    await j.step('stop-source', 'undo', 'started');
    await j.step('stop-source', 'undo', 'done');
    const entries = await j.replay();
    expect(entries.map((e) => (e.kind === 'step' ? `${e.step}:${e.phase}:${e.status}` : e.event))).toEqual([
      'accepted', 'fence:do:started', 'fence:do:done', 'stop-source:do:started', 'stop-source:do:failed', 'stop-source:undo:started', 'stop-source:undo:done',
    ]);
    const report = reportSteps(entries);
    expect(report[0]).toMatchObject({ name: 'fence', state: 'done', note: 'appdata', ms: expect.any(Number) });
    expect(report[1]).toMatchObject({ name: 'stop-source', state: 'undone', error: 'boom' });
    expect(report[2]).toMatchObject({ name: 'release-address', state: 'pending' });
    expect(progressOf(entries).get('stop-source')).toMatchObject({ doStarted: true, doDone: false, undoDone: true });
  });

  it('refuses to write an entry that breaks the schema, and refuses to replay one', async () => {
    const s = store();
    const j = new MoveJournal(s, 'mv-abc123');
    await expect(j.step('teleport' as never, 'do', 'started')).rejects.toThrow(/move-journal\.json/);
    await s.append(moveKeys.journalPrefix('mv-abc123'), { kind: 'step', moveId: 'mv-abc123', step: 'fence', phase: 'sideways', status: 'done', at: new Date().toISOString() });
    await expect(j.replay()).rejects.toThrow(/breaks schemas\/move-journal\.json/);
  });

  it('parses the test-only injection variables and refuses unknown steps', () => {
    const inj = injectionFromEnv({ PLUGCHAIN_MOVE_FAIL_AT: 'fence:do, move-dataset:undo', PLUGCHAIN_MOVE_CRASH_AFTER: 'start-target' });
    expect([...inj.failAt]).toEqual(['fence:do', 'move-dataset:undo']);
    expect([...inj.crashAfter]).toEqual(['start-target:do']);
    expect(() => injectionFromEnv({ PLUGCHAIN_MOVE_FAIL_AT: 'teleport:do' })).toThrow(/PLUGCHAIN_MOVE_FAIL_AT/);
  });
});
