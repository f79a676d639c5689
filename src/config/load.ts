/**
 * Reads the YAML config, applies `MTM_*` environment overrides and validates the result.
 * An error names the key and the problem, never a secret's value.
 */
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema, type Config } from './schema.js';

export const DEFAULT_CONFIG_PATH = 'config/default.yaml';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** `-c` wins, then `$MTM_CONFIG`, then config/default.yaml. */
export function resolveConfigPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return explicit ?? env.MTM_CONFIG ?? DEFAULT_CONFIG_PATH;
}

function toUpperSnake(segment: string): string {
  return segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

type SchemaNode = z.ZodType;

function unwrap(node: SchemaNode): SchemaNode {
  let current: SchemaNode = node;
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault || current instanceof z.ZodOptional) {
      current = current.unwrap() as SchemaNode;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as SchemaNode;
    } else {
      return current;
    }
  }
}

/** Every leaf key path of the schema, e.g. ["snapshot","retentionDays"]. */
export function configKeyPaths(node: SchemaNode = configSchema, prefix: string[] = []): string[][] {
  const inner = unwrap(node);
  if (inner instanceof z.ZodObject) {
    return Object.entries(inner.shape).flatMap(([key, child]) => configKeyPaths(child as SchemaNode, [...prefix, key]));
  }
  return [prefix];
}

export function envNameFor(path: string[]): string {
  return `MTM_${path.map(toUpperSnake).join('_')}`;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let cursor = target;
  for (const key of path.slice(0, -1)) {
    const next = cursor[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cursor[key] = {};
    cursor = cursor[key] as Record<string, unknown>;
  }
  cursor[path[path.length - 1]] = value;
}

/** Environment values are YAML scalars: `993` is a number, `true` a boolean, `[a, b]` a list. */
function parseEnvValue(raw: string): unknown {
  try {
    const value = parseYaml(raw);
    return value === null ? raw : value;
  } catch {
    return raw;
  }
}

export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  for (const path of configKeyPaths()) {
    const value = env[envNameFor(path)];
    if (value !== undefined) {
      // Credentials stay strings as given: a key like `123` or `yes` must not turn into a number or boolean,
      // and a URL (which may carry a password) keeps a `#` or `: ` that YAML would reinterpret.
      const parsed = /password|secret|accesskeyid|^url$/.test(path[path.length - 1].toLowerCase()) ? value : parseEnvValue(value);
      setPath(raw, path, parsed);
    }
  }
  return raw;
}

/** Validates an already-parsed config object (also used for the compose file's config). */
export function validateConfig(raw: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(top level)';
    const message = issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : issue.message;
    return `  ${key}: ${message}`;
  });
  throw new ConfigError(`Invalid configuration in ${source}:\n${problems.join('\n')}`);
}

export function loadConfig(path?: string, env: NodeJS.ProcessEnv = process.env): Config {
  const file = resolveConfigPath(path, env);
  let raw: Record<string, unknown> = {};
  if (existsSync(file)) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(file, 'utf8'));
    } catch (error) {
      // The YAML library quotes the offending line, which may hold a password: keep only its first line (what and where).
      const summary = (error as Error).message.split('\n')[0].replace(/:\s*$/, '');
      throw new ConfigError(`Cannot parse ${file}: ${summary}`);
    }
    if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new ConfigError(`Invalid configuration in ${file}: the top level must be a mapping of keys`);
    }
    raw = (parsed ?? {}) as Record<string, unknown>;
  } else if (path || env.MTM_CONFIG) {
    throw new ConfigError(`Config file not found: ${file}`);
  }
  applyEnvOverrides(raw, env);
  return validateConfig(raw, file);
}
