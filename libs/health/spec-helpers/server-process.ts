import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { waitFor } from './faults';

/**
 * Freezes a server process (SIGSTOP): its connections stay open and nothing answers. Resolves
 * once every thread of the process is stopped (read from `/proc` where there is one): a signal
 * is delivered asynchronously, and a thread still running could answer a request sent meanwhile.
 */
export async function freezeProcess(child: ChildProcess | undefined): Promise<void> {
  const pid = child?.pid;
  if (child === undefined || pid === undefined) throw new Error('the server is not running');
  child.kill('SIGSTOP');
  if (!existsSync(`/proc/${pid}/task`)) return;
  await waitFor(() => allThreadsStopped(pid), 5_000);
}

/** Lets a frozen server process go on (SIGCONT). */
export function thawProcess(child: ChildProcess | undefined): void {
  child?.kill('SIGCONT');
}

/**
 * Kills a server process (SIGKILL: an abrupt outage; SIGCONT first, so a frozen one dies too)
 * and waits until it has exited. Nothing happens for a process that has already exited.
 */
export async function killProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await exited;
}

/** Whether every thread of `pid` is stopped (state `T`); threads gone meanwhile count as stopped. */
function allThreadsStopped(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).every((task) => {
      let stat = '';
      try {
        stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      } catch {
        return true;
      }
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T';
    });
  } catch {
    return false;
  }
}
