import { readFile } from 'node:fs/promises';
import { isAbsent } from './cgroup-location';

/**
 * Reads a small kernel file as text; `null` when it is not there (an older kernel, a controller
 * not enabled, not Linux).
 *
 * @internal
 */
export async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (isAbsent(error)) return null;
    throw error;
  }
}

/**
 * Parses flat keyed files (`cpu.stat`, `memory.stat`, `memory.events`, `memory.oom_control`):
 * one `key value` pair a line, values as numbers.
 *
 * @internal
 */
export function parseKeyedFile(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) values.set(key, Number(value));
  }
  return values;
}

/** Reads a keyed file (see {@link parseKeyedFile}); `null` when it is not there. @internal */
export async function readKeyedFile(file: string): Promise<Map<string, number> | null> {
  const text = await readOptional(file);
  return text === null ? null : parseKeyedFile(text);
}

/**
 * Reads a file holding one number (`memory.current`, `cpu.cfs_quota_us`); `'max'` for the v2
 * word for unlimited; `null` when the file is not there or holds something else.
 *
 * @internal
 */
export async function readSingleValue(file: string): Promise<number | 'max' | null> {
  const text = await readOptional(file);
  if (text === null) return null;
  const value = text.trim();
  if (value === 'max') return 'max';
  return /^-?\d+$/.test(value) ? Number(value) : null;
}
