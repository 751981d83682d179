import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * The process logger. JSON lines by default; pretty output (a pino-pretty transport, off the hot
 * path) when stderr is a terminal. Secrets in headers never reach the log.
 */
export function createLogger(opts: { level?: LevelWithSilent; pretty?: boolean; name?: string } = {}): Logger {
  const pretty = opts.pretty ?? Boolean(process.stderr.isTTY);
  return pino({
    name: opts.name ?? 'plugchain',
    level: opts.level ?? 'info',
    redact: {
      paths: ['headers.authorization', 'headers["x-registry-auth"]', 'headers["x-registry-config"]'],
      censor: '[redacted]',
    },
    transport: pretty
      ? { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l' } }
      : undefined,
  }, pretty ? undefined : pino.destination({ dest: 2, sync: false }));
}

/** A logger that drops everything, for library use and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
