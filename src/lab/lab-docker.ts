import { execFile } from 'node:child_process';

/** The docker CLI against one lab host (never the machine's own daemon, never a context). */
export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function dockerCli(dockerHost: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<DockerResult> {
  return new Promise((resolve) => {
    execFile('docker', args, {
      env: { ...process.env, DOCKER_HOST: dockerHost, DOCKER_CONTEXT: '', DOCKER_CLI_HINTS: 'false' },
      timeout: opts.timeoutMs ?? 120_000,
      maxBuffer: 16 * 1024 * 1024,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === 1 ? err.message : '') });
    });
  });
}

/** Like dockerCli, but throws with the CLI's stderr when the command fails; returns trimmed stdout. */
export async function dockerOk(dockerHost: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  const r = await dockerCli(dockerHost, args, opts);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} (${dockerHost}) exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}
