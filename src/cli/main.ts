import { Command } from 'commander';
import { registerServe } from './commands/serve.js';
import { registerValidate } from './commands/validate.js';
import { registerConform } from './commands/conform.js';
import { registerPlugin } from './commands/plugin.js';
import { registerShim } from './commands/shim.js';
import { registerLab } from './commands/lab.js';
import { registerMove } from './commands/move.js';

const COMMANDS: Array<(program: Command) => void> = [registerServe, registerValidate, registerPlugin, registerConform, registerShim, registerLab, registerMove];

export async function main(argv: string[]): Promise<void> {
  const program = new Command('plugchain')
    .description('A Docker API socket proxy that checks plugin traffic against JSON Schemas, keeps chained ' +
      'volume and network plugins in step, and certifies plugins against their protocol.')
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });
  for (const register of COMMANDS) register(program);
  await program.parseAsync(argv);
}
