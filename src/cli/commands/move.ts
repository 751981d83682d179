import type { Command } from 'commander';
import { EngineClient, messageOf } from '../../moves/engine-client.js';
import type { MoveReport, StepReport } from '../../moves/move-types.js';

interface HostFlag {
  host?: string;
}

const DEFAULT_HOST = 'unix://./run/plugchain.sock';
const hostOf = (flags: HostFlag) => flags.host ?? process.env.DOCKER_HOST ?? DEFAULT_HOST;

export function registerMove(program: Command): void {
  program
    .command('move')
    .description('move a running container to another host with its datasets and addresses (journalled, rolled back on failure)')
    .argument('<container>', 'container name or id on the host whose plugchain --host names')
    .requiredOption('--to <host>', 'target host, a name from the hosts: section of the config')
    .option('-H, --host <addr>', `the source host's plugchain (default $DOCKER_HOST, else ${DEFAULT_HOST})`)
    .option('--stop-timeout <seconds>', 'seconds dockerd gives the container to stop before it kills it', '10')
    .addHelpText('after', `
Steps: fence → stop-source → release-address → move-dataset → claim-address → start-target →
remove-source → drop-lease. Each is journalled before it runs. A failure before start-target has
finished rolls everything back and the container runs on the source again.

Exit status: 0 moved; 1 refused or rolled back; 2 stuck (needs the source plugchain to restart
or an operator; see docs/moves.md).

Example:
  plugchain move app --to b --host unix:///run/plugchain.sock`)
    .action(async (container: string, flags: HostFlag & { to: string; stopTimeout: string }) => {
      process.exitCode = await runMove(container, flags.to, hostOf(flags), Number(flags.stopTimeout));
    });

  program
    .command('moves')
    .description('list the moves this host started and their state')
    .option('-H, --host <addr>', `the host's plugchain (default $DOCKER_HOST, else ${DEFAULT_HOST})`)
    .option('--json', 'print the list as JSON')
    .addHelpText('after', `
States: running, rolling-back, done, rolled-back, stuck. A stuck move keeps its lock and leases
until the plugchain that started it restarts and finishes it (see docs/moves.md).`)
    .action(async (flags: HostFlag & { json?: boolean }) => {
      process.exitCode = await listMoves(hostOf(flags), Boolean(flags.json));
    });
}

async function runMove(container: string, to: string, host: string, stopTimeoutSec: number): Promise<number> {
  const client = new EngineClient(host);
  let accepted;
  try {
    accepted = await client.request<{ id: string; state: string }>('POST', '/plugchain/v1/moves', { container, to, stopTimeoutSec }, 120_000);
  } catch (err) {
    process.stderr.write(`plugchain: move: cannot reach ${host}: ${(err as Error).message}\n`);
    return 1;
  }
  if (accepted.status !== 202) {
    process.stderr.write(`${messageOf(accepted)}\n`);
    return 1;
  }
  const id = accepted.body.id;
  const started = Date.now();
  process.stdout.write(`move ${id}: ${container} → ${to}\n`);
  const seen = new Map<string, string>();
  for (;;) {
    const r = await client.request<MoveReport>('GET', `/plugchain/v1/moves/${id}`).catch(() => null);
    if (r?.status === 200) {
      for (const step of r.body.steps) {
        if (seen.get(step.name) === step.state || step.state === 'pending') continue;
        seen.set(step.name, step.state);
        process.stdout.write(`${line(step)}\n`);
      }
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      if (r.body.state === 'done') {
        process.stdout.write(`moved ${container} from ${r.body.from} to ${r.body.to} in ${secs} s\n`);
        return 0;
      }
      if (r.body.state === 'rolled-back') {
        process.stdout.write(`rolled back after ${secs} s: ${container} runs on ${r.body.from} again\n`);
        process.stderr.write(`plugchain: move: ${r.body.error ?? 'rolled back'}\n`);
        return 1;
      }
      if (r.body.state === 'stuck') {
        process.stderr.write(`plugchain: move ${id} is stuck: ${r.body.error ?? ''}\n`);
        return 2;
      }
    }
    await new Promise((res) => setTimeout(res, 200));
  }
}

function line(step: StepReport): string {
  const name = step.name.padEnd(16);
  switch (step.state) {
    case 'running': return `  ${name} …`;
    case 'done': return `  ${name} done      ${String(step.ms ?? 0).padStart(6)} ms${step.note ? `  (${step.note})` : ''}`;
    case 'failed': return `  ${name} FAILED    ${String(step.ms ?? 0).padStart(6)} ms  ${step.error ?? ''}`;
    case 'undoing': return `  ${name} undoing …`;
    case 'undone': return `  ${name} undone    ${String(step.undoMs ?? 0).padStart(6)} ms`;
    case 'undo-failed': return `  ${name} UNDO FAILED  ${step.error ?? ''}`;
    default: return `  ${name} ${step.state}`;
  }
}

async function listMoves(host: string, json: boolean): Promise<number> {
  const client = new EngineClient(host);
  let r;
  try {
    r = await client.request<Array<Omit<MoveReport, 'steps'>>>('GET', '/plugchain/v1/moves');
  } catch (err) {
    process.stderr.write(`plugchain: moves: cannot reach ${host}: ${(err as Error).message}\n`);
    return 1;
  }
  if (r.status !== 200) {
    process.stderr.write(`${messageOf(r)}\n`);
    return 1;
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(r.body, null, 2)}\n`);
    return 0;
  }
  const rows = [['ID', 'CONTAINER', 'FROM', 'TO', 'STATE', 'CREATED', 'ERROR'],
    ...r.body.map((m) => [m.id, m.container, m.from, m.to, m.state, m.createdAt, (m.error ?? '').slice(0, 80)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()}\n`);
  return 0;
}
