import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APP, MoveLab } from './move-fixture.js';

/**
 * The same moves with the etcd store (a real etcd on loopback, started by the lab): journal,
 * locks, leases and address records, and the plugins' own records, all in etcd. A shorter set
 * than moves.test.ts: a move, a rollback, and a crash on each side of the point of no return.
 */
let lab: MoveLab;

beforeAll(async () => {
  lab = await MoveLab.up(mkdtempSync(join(inject('runDir'), 'mve-')), 'etcd');
}, 180_000);

afterAll(async () => {
  await lab?.down();
}, 180_000);

describe.sequential('plugchain move with the etcd store', () => {
  it('moves the app to b with its data and address', async () => {
    expect(lab.lab.storeUrl).toMatch(/^etcd:\/\//);
    await lab.plugchain();
    await lab.resetApp();
    const m = await lab.startMove({ container: APP, to: 'b' });
    expect(m.status, m.message).toBe(202);
    const rep = await lab.waitState(m.id!, ['done', 'rolled-back', 'stuck']);
    expect(rep.state, rep.error).toBe('done');
    expect(rep.steps.every((s) => s.state === 'done')).toBe(true);
    await lab.checkInvariants('b');
  });

  it('a failure at move-dataset rolls back to a', async () => {
    await lab.plugchain({ PLUGCHAIN_MOVE_FAIL_AT: 'move-dataset:do' });
    await lab.resetApp();
    const m = await lab.startMove({ container: APP, to: 'b' });
    const rep = await lab.waitState(m.id!, ['done', 'rolled-back', 'stuck']);
    expect(rep.state, rep.error).toBe('rolled-back');
    await lab.checkInvariants('a');
  });

  it.each([['claim-address', 'rolled-back'], ['start-target', 'done']] as const)('plugchain killed right after %s: %s', async (step, expected) => {
    await lab.plugchain({ PLUGCHAIN_MOVE_CRASH_AFTER: step });
    await lab.resetApp();
    const m = await lab.startMove({ container: APP, to: 'b' });
    await lab.waitCrashed();
    await lab.plugchain({});
    const rep = await lab.waitState(m.id!, ['done', 'rolled-back', 'stuck']);
    expect(rep.state, rep.error).toBe(expected);
    await lab.checkInvariants(expected === 'done' ? 'b' : 'a');
  });
});
