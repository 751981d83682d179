import { execFile } from 'node:child_process';

/** Runs `ip …`; rejects with the command and its stderr. */
export function ip(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ip ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout));
    });
  });
}

/** Messages `ip` prints when the thing to create exists or the thing to delete is gone. */
const EXISTS = /File exists|already exists/i;
const GONE = /Cannot find device|does not exist|No such file|not found|Invalid "netns" value/i;

/** `ip …` where "already exists" counts as success. */
export async function ipCreate(args: string[]): Promise<void> {
  try {
    await ip(args);
  } catch (err) {
    if (!EXISTS.test((err as Error).message)) throw err;
  }
}

/** `ip …` where "no such device/namespace" counts as success. */
export async function ipDelete(args: string[]): Promise<void> {
  try {
    await ip(args);
  } catch (err) {
    if (!GONE.test((err as Error).message)) throw err;
  }
}
