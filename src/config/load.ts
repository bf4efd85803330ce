// Finds, reads and validates postern.yaml (DESIGN §2 "Command line"): `--config FILE` or
// `--data DIR` (reads DIR/postern.yaml when present), else ./postern.yaml, else ./data.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { hostname as osHostname } from 'node:os';
import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import { configSchema, type PosternConfig } from './schema.js';

export interface LoadedConfig {
  config: PosternConfig;
  /** Absolute data directory. */
  dataDir: string;
  /** Absolute path of the config file read, or null when defaults were used. */
  configPath: string | null;
  /** Folder relative paths in the config are resolved against. */
  baseDir: string;
  hostname: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ConfigLocation { config?: string; data?: string; cwd?: string }

/** Where the config file and data directory are, without reading anything. */
export function locateConfig(loc: ConfigLocation): { configPath: string | null; dataDir: string | null } {
  const cwd = loc.cwd ?? process.cwd();
  if (loc.config) return { configPath: resolve(cwd, loc.config), dataDir: null };
  if (loc.data) {
    const dataDir = resolve(cwd, loc.data);
    const candidate = join(dataDir, 'postern.yaml');
    return { configPath: existsSync(candidate) ? candidate : null, dataDir };
  }
  const local = resolve(cwd, 'postern.yaml');
  if (existsSync(local)) return { configPath: local, dataDir: null };
  return { configPath: null, dataDir: resolve(cwd, 'data') };
}

export function loadConfig(loc: ConfigLocation): LoadedConfig {
  const cwd = loc.cwd ?? process.cwd();
  const where = locateConfig(loc);
  let raw: unknown = {};
  if (where.configPath) {
    if (!existsSync(where.configPath)) {
      throw new ConfigError(`${where.configPath} does not exist: create it (postern init) or point --config at an existing file.`);
    }
    const text = readFileSync(where.configPath, 'utf8');
    try {
      raw = parseYaml(text) ?? {};
    } catch (err) {
      throw new ConfigError(`${where.configPath} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ConfigError(`${where.configPath} must hold a YAML mapping of settings (hostname:, pop3:, …).`);
    }
  }
  const config = validateConfig(raw, where.configPath ?? 'configuration');
  const baseDir = where.configPath ? dirname(where.configPath) : (where.dataDir ?? cwd);
  const dataDir = where.dataDir ?? (config.data ? resolve(baseDir, config.data) : baseDir);
  return { config, dataDir, configPath: where.configPath, baseDir, hostname: config.hostname ?? osHostname() };
}

export function validateConfig(raw: unknown, source: string): PosternConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(formatConfigIssues(result.error, source));
  return result.data;
}

/** One line per problem, each naming the key path and what is allowed. */
export function formatConfigIssues(error: ZodError, source: string): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.join('.') : '(top level)';
    let what = issue.message;
    if (issue.code === 'invalid_value' && 'values' in issue) {
      what = `must be one of ${(issue.values as unknown[]).map(String).join(' | ')}`;
    } else if (issue.code === 'unrecognized_keys') {
      return `${source}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `${path === '(top level)' ? '' : path + '.'}${k}`).join(', ')}: remove or correct ${issue.keys.length > 1 ? 'them' : 'it'} (see DESIGN.md §2 for the allowed keys)`;
    } else if (issue.code === 'invalid_type') {
      what = `must be ${issue.expected}`;
    }
    return `${source}: ${path}: ${what}`;
  });
  return lines.join('\n');
}

/** Resolves a path from the config against the config's folder. */
export function resolveConfigPath(loaded: LoadedConfig, p: string): string {
  return isAbsolute(p) ? p : resolve(loaded.baseDir, p);
}
