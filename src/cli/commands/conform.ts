import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { SUBSYSTEMS, type PluginKind } from '../../protocols/methods.js';
import { ALL_CHECKS, checksFor } from '../../conformance/catalog.js';
import { DiscoveryError } from '../../conformance/discover-plugin.js';
import { FORMATS, isReportFormat, REPORTERS } from '../../conformance/reporters/index.js';
import { DEFAULT_TIMEOUT_MS, exitCodeOf, runConformance } from '../../conformance/run-conformance.js';

interface ConformFlags {
  plugin?: string;
  type?: string;
  format: string;
  only?: string[];
  timeout?: string;
  output?: string;
  pluginsDir?: string[];
  specDir?: string[];
  remote?: boolean;
  schema: boolean;
  list?: boolean;
}

const KINDS = Object.keys(SUBSYSTEMS) as PluginKind[];
const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

/** Exit codes: 0 every applicable check passed, 1 a check failed, 2 the run could not start. */
class UsageError extends Error {}

export function registerConform(program: Command): void {
  program
    .command('conform')
    .description('certify a Docker plugin: drive it directly through its protocol the way dockerd does and report every check')
    .option('-p, --plugin <plugin>', 'unix:///path.sock, tcp://host:port, a .sock/.spec/.json path, or a plugin name')
    .option('-t, --type <kind>', `test only this type: ${KINDS.join(' | ')} (default: every type in Implements)`)
    .option('-f, --format <format>', `report format: ${FORMATS.join(' | ')}`, 'table')
    .option('--only <check>', 'run only checks with this id or id prefix (repeatable, comma-separated)', collect)
    .option('--timeout <ms>', `deadline per plugin call in ms (default ${DEFAULT_TIMEOUT_MS})`)
    .option('-o, --output <file>', 'write the report to a file (stdout then gets a one-line summary)')
    .option('--plugins-dir <dir>', 'socket directory for name lookup, repeatable (default /run/docker/plugins)', collect)
    .option('--spec-dir <dir>', 'spec directory for name lookup, repeatable (default /etc/docker/plugins, /usr/lib/docker/plugins)', collect)
    .option('--remote', 'the plugin does not share this filesystem: do not check that Mountpoints exist')
    .option('--no-schema', 'do not validate answers against the JSON Schemas (schema.* checks skip)')
    .option('--list', 'list every check id with its rule and source, then exit')
    .addHelpText('after', `
How it works:
  The plugin is found like dockerd finds it: a NAME resolves to <dir>/NAME.sock or <dir>/NAME/NAME.sock in
  the plugins dirs, then NAME.spec, NAME/NAME.spec, NAME.json, NAME/NAME.json in the spec dirs.
  plugchain sends POST /Plugin.Activate, then runs every check that applies to the types in Implements
  (or --type). Calls look exactly like dockerd's: POST, Accept: application/vnd.docker.plugins.v1.2+json,
  no Content-Type, an empty body for argument-less methods. Each check creates what it needs under names
  starting with plugchain-conform-<random> and removes it afterwards. Network checks send a SandboxKey
  that does not exist; a plugin that creates real interfaces will do so, and gets Leave/DeleteEndpoint/
  DeleteNetwork after every check.
  The traffic checks (handshake.success-200-json, handshake.error-shape, schema.*) judge every answer
  the other checks received.

Exit status: 0 when every applicable check passed (skips do not count), 1 when any failed, 2 when the
run could not start (bad flags, plugin not found).

Examples:
  plugchain conform --plugin myvolume                       # /run/docker/plugins/myvolume.sock
  plugchain conform --plugin unix:///run/docker/plugins/weave.sock --type ipam
  plugchain conform --plugin tcp://127.0.0.1:8080 --format junit --output conform.xml
  plugchain conform --plugin ./my.sock --only volume.mount --format tap
  plugchain conform --list`)
    .action(async (flags: ConformFlags) => {
      try {
        process.exitCode = await conform(flags);
      } catch (err) {
        if (!(err instanceof UsageError || err instanceof DiscoveryError)) throw err;
        process.stderr.write(`plugchain conform: ${err.message}\n`);
        process.exitCode = 2;
      }
    });
}

async function conform(flags: ConformFlags): Promise<number> {
  if (!isReportFormat(flags.format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  const type = flags.type;
  if (type !== undefined && !(KINDS as string[]).includes(type)) throw new UsageError(`--type must be one of ${KINDS.join(', ')}`);
  if (flags.list) {
    process.stdout.write(renderList(type ? checksFor([type as PluginKind]) : [...ALL_CHECKS], flags.format === 'json'));
    return 0;
  }
  if (!flags.plugin) throw new UsageError('--plugin is required (see --help)');
  const timeoutMs = flags.timeout === undefined ? undefined : Number(flags.timeout);
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) throw new UsageError('--timeout must be a positive number of milliseconds');
  const report = await runConformance({
    plugin: flags.plugin,
    type: type as PluginKind | undefined,
    only: flags.only,
    timeoutMs,
    socketDirs: flags.pluginsDir,
    specDirs: flags.specDir,
    remote: flags.remote,
    ...(flags.schema ? {} : { schemas: null }),
  });
  const text = REPORTERS[flags.format](report);
  if (flags.output) {
    writeFileSync(flags.output, text);
    const s = report.summary;
    process.stdout.write(`${report.plugin.url}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped; ${flags.format} report in ${flags.output}\n`);
  } else {
    process.stdout.write(text);
  }
  return exitCodeOf(report);
}

function renderList(checks: ReadonlyArray<(typeof ALL_CHECKS)[number]>, json: boolean): string {
  if (json) return `${JSON.stringify(checks.map(({ id, family, phase, title, rule, source }) => ({ id, family, phase, title, rule, source })), null, 2)}\n`;
  return `${checks.map((c) => `${c.id}  [${c.family}${c.phase === 'traffic' ? ', traffic' : ''}]\n  ${c.title}\n  rule:   ${c.rule}\n  source: ${c.source}`).join('\n\n')}\n`;
}
