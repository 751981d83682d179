import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerOk } from '../harness/docker-cli.js';
import { STEP_NAMES, type StepName } from '../../src/moves/move-types.js';
import { APP, APP_IP, DATASET, MoveLab } from './move-fixture.js';

/**
 * Moves between two real lab hosts (private dockerds in their own mount namespaces, the reference
 * dataset and weave plugins behind a plugchain per host, one shared bridge), run once per
 * coordination store by moves.test.ts (file) and moves-etcd.test.ts (etcd). One lab per file;
 * every case starts from the app running on host a and ends by checking the invariants
 * (move-fixture.ts).
 */

/** Steps before the point of no return roll back; the later ones go forward. */
const ROLLBACK_STEPS: StepName[] = ['fence', 'stop-source', 'release-address', 'move-dataset', 'claim-address', 'start-target'];
const FORWARD_STEPS: StepName[] = ['remove-source', 'drop-lease'];

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [resolve('bin/plugchain.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

export function moveSuite(store: 'file' | 'etcd'): void {
  let lab: MoveLab;

  beforeAll(async () => {
    lab = await MoveLab.up(mkdtempSync(join(inject('runDir'), store === 'etcd' ? 'mve-' : 'mv-')), store);
  }, 180_000);

  afterAll(async () => {
    await lab?.down();
  }, 180_000);

  describe.sequential(`plugchain move between two lab hosts (${store} store)`, () => {
    it('keeps journal, leases and claims in the configured store', () => {
      expect(lab.lab.storeUrl).toMatch(store === 'etcd' ? /^etcd:\/\// : /^file:\/\//);
    });

    it('moves the app to b with its data and its address; the CLI shows every step; plugchain moves lists it', async () => {
      await lab.plugchain();
      await lab.resetApp();
      const r = await cli(['move', APP, '--to', 'b', '--host', lab.proxy('a')]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      for (const step of STEP_NAMES) expect(r.stdout).toMatch(new RegExp(`${step}\\s+done`));
      expect(r.stdout).toMatch(/moved app from a to b/);
      await lab.checkInvariants('b');
      // The same config on b: command, env, labels, address; plus the move's label.
      const inspect = JSON.parse(await dockerOk(['inspect', APP], { host: lab.docker('b') }))[0];
      expect(inspect.Config.Labels).toMatchObject({ 'app.role': 'web', 'io.plugchain.move': expect.stringMatching(/^mv-/) });
      expect(inspect.Config.Env).toContain('STOP_DELAY=0');
      expect(inspect.Config.Cmd.join(' ')).toMatch(/httpd -f -p 80 -h \/data/);
      expect(inspect.NetworkSettings.Networks['weave-lab'].IPAddress).toBe(APP_IP);
      expect(inspect.Mounts).toMatchObject([{ Name: DATASET, Driver: 'flocker', Destination: '/data' }]);
      const list = await cli(['moves', '--host', lab.proxy('a')]);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/mv-\S+\s+app\s+a\s+b\s+done/);
      const helpMove = await cli(['move', '--help']);
      const helpMoves = await cli(['moves', '--help']);
      expect(helpMove.stdout).toMatch(/--to <host>/);
      expect(helpMoves.stdout).toMatch(/rolled-back/);
    });

    describe('refusals leave everything as it was (409, plugchain: move: …)', () => {
      beforeAll(async () => {
        await lab.plugchain();
        await lab.resetApp({ stopDelaySec: 2 });
      });

      const refused = async (body: Record<string, unknown>, pattern: RegExp) => {
        const r = await lab.startMove(body);
        expect(r.status, JSON.stringify(r)).toBe(409);
        expect(r.message).toMatch(/^plugchain: move: /);
        expect(r.message).toMatch(pattern);
      };

      it('a container that uses no chained plugin', async () => {
        await dockerOk(['run', '-d', '--name', 'plain', '--network', 'none', lab.lab.image, 'sleep', '300'], { host: lab.proxy('a') });
        await refused({ container: 'plain', to: 'b' }, /uses no chained plugin/);
        await dockerOk(['rm', '-f', 'plain'], { host: lab.proxy('a') });
      });

      it('an unknown or unreachable target (its plugchain down, its daemon hung)', async () => {
        await refused({ container: APP, to: 'zz' }, /unknown host zz/);
        await lab.plugchainDown('b');
        await refused({ container: APP, to: 'b' }, /target host b is unreachable/);
        await lab.plugchain({}, 'b', true);
        process.kill(lab.dockerdPid('b'), 'SIGSTOP');
        try {
          await refused({ container: APP, to: 'b' }, /target host b is unreachable/);
        } finally {
          process.kill(lab.dockerdPid('b'), 'SIGCONT');
        }
      });

      it('a dataset leased by another move', async () => {
        const lease = await lab.store.compareAndSet(`moves/leases/${DATASET}`, { moveId: 'mv-other0000', container: 'x', from: 'b', to: 'a', since: new Date().toISOString() }, 0);
        await refused({ container: APP, to: 'b' }, /dataset appdata is leased by move mv-other0000/);
        await lab.store.compareAndDelete(`moves/leases/${DATASET}`, lease!.revision);
      });

      it('a name already taken on the target', async () => {
        await dockerOk(['create', '--name', APP, '--network', 'none', lab.lab.image, 'true'], { host: lab.proxy('b') });
        await refused({ container: APP, to: 'b' }, /the name app is already taken on host b/);
        await dockerOk(['rm', APP], { host: lab.proxy('b') });
      });

      it('a second move of the same container while the first runs', async () => {
        const first = await lab.startMove({ container: APP, to: 'b' });
        expect(first.status).toBe(202);
        await refused({ container: APP, to: 'b' }, /a move of app is already in progress/);
        const done = await lab.waitState(first.id!, ['done', 'rolled-back', 'stuck']);
        expect(done.state).toBe('done');
        await lab.checkInvariants('b');
      });

      it('after the refusals the app still runs on a, untouched', async () => {
        await lab.resetApp();
        await lab.checkInvariants('a');
      });
    });

    describe('a failing step rolls the move back to a running container on a', () => {
      it.each(ROLLBACK_STEPS)('failure at %s', async (step) => {
        await lab.plugchain({ PLUGCHAIN_MOVE_FAIL_AT: `${step}:do` });
        await lab.resetApp();
        const m = await lab.startMove({ container: APP, to: 'b' });
        expect(m.status, m.message).toBe(202);
        const rep = await lab.waitState(m.id!, ['done', 'rolled-back', 'stuck']);
        expect(rep.state, rep.error).toBe('rolled-back');
        expect(rep.error).toMatch(new RegExp(`${step} failed: injected failure`));
        expect(rep.steps.find((s) => s.name === step)!.state).toBe('undone');
        await lab.checkInvariants('a');
      });

      it('the target daemon goes down during the move', async () => {
        await lab.plugchain();
        await lab.resetApp({ stopDelaySec: 3 });
        const m = await lab.startMove({ container: APP, to: 'b' });
        expect(m.status, m.message).toBe(202);
        await lab.stopTargetDaemon(); // while the source container takes 3 s to stop
        const rep = await lab.waitState(m.id!, ['done', 'rolled-back', 'stuck']);
        expect(rep.state, rep.error).toBe('rolled-back');
        expect(rep.error).toMatch(/claim-address failed: .*(502|cannot reach)/);
        await lab.startTargetDaemon();
        await lab.checkInvariants('a');
      });

      it('a rollback that itself fails is left stuck, and the restarted plugchain finishes it', async () => {
        await lab.plugchain({ PLUGCHAIN_MOVE_FAIL_AT: 'claim-address:do,move-dataset:undo' });
        await lab.resetApp();
        const m = await lab.startMove({ container: APP, to: 'b' });
        const stuck = await lab.waitState(m.id!, ['done', 'rolled-back', 'stuck']);
        expect(stuck.state).toBe('stuck');
        expect(stuck.error).toMatch(/rollback of move-dataset failed/);
        const list = await cli(['moves', '--host', lab.proxy('a')]);
        expect(list.stdout).toMatch(new RegExp(`${m.id}\\s+app\\s+a\\s+b\\s+stuck`));
        await lab.plugchain({});
        const rep = await lab.waitState(m.id!, ['done', 'rolled-back']);
        expect(rep.state).toBe('rolled-back');
        await lab.checkInvariants('a');
      });
    });

    describe('past the point of no return a failing step leaves the move stuck; a restart finishes it', () => {
      it.each(FORWARD_STEPS)('failure at %s', async (step) => {
        await lab.plugchain({ PLUGCHAIN_MOVE_FAIL_AT: `${step}:do` });
        await lab.resetApp();
        const m = await lab.startMove({ container: APP, to: 'b' });
        const stuck = await lab.waitState(m.id!, ['done', 'rolled-back', 'stuck']);
        expect(stuck.state).toBe('stuck');
        expect(await lab.fetch('a')).toBe(`payload-${lab.payload}`); // it already runs on b
        await lab.plugchain({});
        const rep = await lab.waitState(m.id!, ['done', 'rolled-back']);
        expect(rep.state).toBe('done');
        await lab.checkInvariants('b');
      });
    });

    describe('plugchain killed between two steps, then restarted', () => {
      it.each(STEP_NAMES.map((s, i) => [s, i < STEP_NAMES.indexOf('start-target') ? 'rolled-back' : 'done'] as const))(
        'killed right after %s: %s', async (step, expected) => {
          await lab.plugchain({ PLUGCHAIN_MOVE_CRASH_AFTER: step });
          await lab.resetApp();
          const m = await lab.startMove({ container: APP, to: 'b' });
          expect(m.status, m.message).toBe(202);
          await lab.waitCrashed();
          const mid = await lab.store.get<{ state: string }>(`moves/records/${m.id}`);
          expect(mid?.value.state).toMatch(/running/);
          await lab.plugchain({});
          const rep = await lab.waitState(m.id!, ['done', 'rolled-back', 'stuck']);
          expect(rep.state, rep.error).toBe(expected);
          await lab.checkInvariants(expected === 'done' ? 'b' : 'a');
        });
    });
  });
}
