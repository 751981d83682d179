import type { Command } from 'commander';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a recorded exchange file (NDJSON) or one message against the schemas, offline')
    .argument('<file>', 'file to check, or - for standard input')
    .option('-m, --message <id>', 'check one message, e.g. VolumeDriver.Mount.response')
    .action(() => {
      throw new Error('validate: not implemented yet');
    });
}
