import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { PlugchainError } from '../errors/plugchain-error.js';
import { defaultConfig, type PlugchainConfig } from './config.js';
import { getSchemas } from '../schemas/registry.js';

/**
 * Reads, checks and completes a config file. Either the whole file is valid and applied, or
 * nothing is: a bad config is refused with the JSON pointer and the rule it broke.
 */
export function loadConfigFile(path: string): PlugchainConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PlugchainError('PLUGCHAIN_CONFIG_INVALID', `cannot read config ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new PlugchainError('PLUGCHAIN_CONFIG_INVALID', `config ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  return completeConfig(doc ?? {}, path);
}

export function completeConfig(doc: unknown, source = 'config'): PlugchainConfig {
  const violations = getSchemas().check('PlugchainConfig', doc);
  if (violations.length > 0) {
    const v = violations[0]!;
    throw new PlugchainError('PLUGCHAIN_CONFIG_INVALID', `${source}: ${v.pointer} ${v.rule}`);
  }
  const d = doc as Partial<PlugchainConfig>;
  const base = defaultConfig();
  return {
    ...base,
    ...d,
    validation: { ...base.validation, ...(d.validation ?? {}) },
  } as PlugchainConfig;
}
