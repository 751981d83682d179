import type { Command } from 'commander';
import { resolve } from 'node:path';
import { startLab, type Lab } from '../../lab/start-lab.js';
import { downLab } from '../../lab/stop-lab.js';
import { runDemo } from '../../lab/demo.js';

interface UpFlags {
  hosts: string;
  dir: string;
  store: string;
  moveDelayMs: string;
  logLevel: string;
}

const DEFAULT_DIR = './run/lab';

export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .description('a multi-host lab on this machine: each host a private dockerd in its own mount namespace, ' +
      'with its own plugchain and reference plugins, all hosts on one shared bridge');

  lab
    .command('up')
    .description('bring a lab up and leave it running (detached); prints each host\'s DOCKER_HOST')
    .option('--hosts <n>', 'number of hosts (named a, b, c…)', '2')
    .option('--dir <dir>', 'lab directory: state, sockets, logs, daemon data (keep it short)', DEFAULT_DIR)
    .option('--store <kind>', 'coordination store shared by the hosts: file | etcd (a local etcd on loopback)', 'file')
    .option('--move-delay-ms <n>', 'artificial pause in each dataset move (volume plugin), for demos of slow moves', '0')
    .option('--log-level <level>', 'log level of the plugins and plugchains', 'info')
    .addHelpText('after', `
Layout (see docs/lab.md): <dir>/lab.json holds pids, sockets and names; <dir>/<host>/plugchain.sock is
the host's DOCKER_HOST; dockerd sees only the shims (volume driver "flocker", network driver "weave")
in <dir>/<host>/plugins; every host has the image plugchain/busybox:local and the network weave-lab
(10.213.10.0/24) on the shared bridge.

Example:
  plugchain lab up --hosts 2
  export DOCKER_HOST=unix://$PWD/run/lab/a/plugchain.sock
  docker run -d --name web --network weave-lab --ip 10.213.10.5 -v site:/data --volume-driver flocker \\
    plugchain/busybox:local httpd -f -h /data
  plugchain lab down`)
    .action(async (flags: UpFlags) => {
      if (flags.store !== 'file' && flags.store !== 'etcd') throw new Error('--store must be file or etcd');
      const hosts = Number(flags.hosts);
      const moveDelayMs = Number(flags.moveDelayMs);
      if (!Number.isInteger(moveDelayMs) || moveDelayMs < 0) throw new Error('--move-delay-ms must be a non-negative integer');
      const started = await startLab({
        hosts, dir: resolve(flags.dir), store: flags.store, moveDelayMs, logLevel: flags.logLevel,
        onStep: (m) => process.stderr.write(`lab: ${m}\n`),
      });
      printLab(started);
    });

  lab
    .command('down')
    .description('take a lab apart: containers, networks, plugchains, daemons, plugins, veths, bridge, netns, store, files')
    .option('--dir <dir>', 'lab directory', DEFAULT_DIR)
    .option('--keep-dir', 'keep the directory (logs) after everything else is gone')
    .action(async (flags: { dir: string; keepDir?: boolean }) => {
      const report = await downLab(resolve(flags.dir), { keepDir: flags.keepDir, onStep: (m) => process.stderr.write(`lab: ${m}\n`) });
      if (report.absent) process.stdout.write(`no lab in ${resolve(flags.dir)}; nothing to do\n`);
      if (!report.clean) {
        process.stdout.write(`left behind: ${JSON.stringify(report.leftovers)}\n`);
        process.exitCode = 1;
      }
    });

  lab
    .command('demo')
    .description('bring up a two-host lab, move a serving container with its data and address from a to b ' +
      'while a client polls it, print each step with timings and the proof, tear down')
    .option('--dir <dir>', 'lab directory for the demo', './run/demo')
    .option('--store <kind>', 'file | etcd', 'file')
    .option('--keep', 'leave the lab running afterwards (take it down with plugchain lab down --dir …)')
    .option('--mode <how>', 'auto (the moves API when host a offers it) | api | manual (the steps by hand, the fallback)', 'auto')
    .action(async (flags: { dir: string; store: string; keep?: boolean; mode: string }) => {
      if (flags.store !== 'file' && flags.store !== 'etcd') throw new Error('--store must be file or etcd');
      if (!['auto', 'api', 'manual'].includes(flags.mode)) throw new Error('--mode must be auto, api or manual');
      const ok = await runDemo({
        dir: resolve(flags.dir), store: flags.store, keep: Boolean(flags.keep), mode: flags.mode as 'auto' | 'api' | 'manual',
      });
      if (!ok) process.exitCode = 1;
    });
}

function printLab(lab: Lab): void {
  for (const h of lab.hosts) {
    process.stdout.write(`# host ${h.name}\nexport DOCKER_HOST=${h.proxyHost}\n`);
  }
  const net = lab.network ? `, network ${lab.network.name} ${lab.network.subnet}` : '';
  process.stdout.write(`# lab up: ${lab.hosts.length} hosts (${lab.hosts.map((h) => h.name).join(', ')}), store ${lab.storeUrl}, ` +
    `bridge ${lab.bridge} in netns ${lab.netns}${net}, drivers ${lab.hosts[0]?.volumeDriver}/${lab.hosts[0]?.networkDriver}, ` +
    `image ${lab.image}; down: plugchain lab down --dir ${lab.dir}\n`);
}
