/**
 * A Runner that never waits longer than each call's timeout plus a short grace, whatever the process does.
 * The real runner SIGKILLs at the deadline, but a process stuck in the kernel (mdadm --stop or a read on a
 * hung device, in D state) does not die until the I/O returns; the agent must still answer in time.
 */
import type { CommandResult, RunOptions, Runner } from "../system/command.js";

export const GRACE_MS = 500;

export function boundedRunner(inner: Runner, graceMs = GRACE_MS): Runner {
  return {
    run(program: string, args: readonly string[], options: RunOptions): Promise<CommandResult> {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const abandoned = new Promise<CommandResult>((resolve) => {
        timer = setTimeout(
          () =>
            resolve({
              argv: [program, ...args],
              exitCode: null,
              signal: null,
              stdout: "",
              stderr: `did not exit within ${options.timeoutMs + graceMs} ms even after SIGKILL (stuck in the kernel?); abandoned`,
              timedOut: true,
              durationMs: Date.now() - started,
            }),
          options.timeoutMs + graceMs,
        );
        timer.unref();
      });
      return Promise.race([inner.run(program, args, options), abandoned]).finally(() => clearTimeout(timer));
    },
  };
}
