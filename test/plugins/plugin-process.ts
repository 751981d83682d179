import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pluginCall } from '../../src/plugin-sdk/index.js';

export interface PluginProcess {
  readonly pid: number;
  readonly socket: string;
  readonly logPath: string;
  log(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `node bin/plugchain.js plugin …` as a real child process (the build is in dist/, made
 * by `npm test`'s pretest) and waits until it answers Plugin.Activate on `socket`.
 */
export async function startPluginProcess(args: string[], socket: string, logPath: string): Promise<PluginProcess> {
  const bin = resolve('bin/plugchain.js');
  if (!existsSync(resolve('dist/cli/main.js'))) throw new Error('dist/ is missing: run npm run build (npm test does it)');
  const fd = openSync(logPath, 'a');
  const child: ChildProcess = spawn(process.execPath, [bin, 'plugin', ...args, '--socket', socket, '--log-level', 'debug'], {
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const log = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await pluginCall(socket, 'Plugin.Activate', undefined, { timeoutMs: 1_000 }).then((r) => r.status === 200, () => false);
    if (up) break;
    const code = await Promise.race([exited, new Promise((r) => setTimeout(r, 100)).then(() => undefined)]);
    if (code !== undefined) throw new Error(`plugin exited (${code}) before it listened:\n${log()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`plugin did not answer on ${socket}:\n${log()}`);
    }
  }
  let stopping: Promise<number | null> | null = null;
  return {
    pid: child.pid!,
    socket,
    logPath,
    log,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null) return child.exitCode;
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
        const code = await exited;
        clearTimeout(t);
        return code;
      })();
      return stopping;
    },
  };
}
