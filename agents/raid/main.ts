/**
 * Entry point of dist/raid.cjs (light): run through a shim as `node raid.cjs <action>`. The heavy bundle is
 * loaded by path at run time, next to this file, so esbuild never inlines it and the status path never
 * pays for execa, pino or zod classic. Tests call `dispatch` and the heavy functions directly.
 */
import { writeSync } from "node:fs";
import { dispatch, type HeavyModule } from "./dispatch.js";

/**
 * Write straight to the file descriptor: the first use of process.stdout/stderr builds a stream and
 * costs about 8 ms of CPU, a quarter of the status budget. Retries EAGAIN (a non-blocking pipe).
 */
function writeAll(fd: number, text: string): void {
  let buf = Buffer.from(text);
  for (let spins = 0; buf.length > 0; ) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN" || ++spins > 10_000) throw e;
    }
  }
}

const loadHeavy = (): HeavyModule => require(require("node:path").join(__dirname, "raid-heavy.cjs")) as HeavyModule;

dispatch(
  {
    args: process.argv.slice(2),
    env: process.env,
    writeStdout: (t) => writeAll(1, t),
    writeStderr: (t) => {
      try {
        writeAll(2, t);
      } catch {
        /* stderr closed */
      }
    },
    now: Date.now,
  },
  loadHeavy,
).then(
  (code) => {
    process.exitCode = code;
    // A child stuck in the kernel (a read from a hung device) must not keep the agent alive past its
    // answer: if anything still holds the event loop shortly after, exit anyway.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (e: unknown) => {
    try {
      writeAll(2, `raid agent: unexpected failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    } catch {
      /* stderr closed */
    }
    process.exitCode = 1;
  },
);
