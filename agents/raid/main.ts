/**
 * Entry point of dist/raid.cjs (light): run through a shim as `node raid.cjs <action>`. The heavy bundle is
 * loaded by path at run time, next to this file, so esbuild never inlines it and the status path never
 * pays for execa, pino or zod classic. Tests call `dispatch` and the heavy functions directly.
 */
import { dispatch, type HeavyModule } from "./dispatch.js";

const loadHeavy = (): HeavyModule => require(require("node:path").join(__dirname, "raid-heavy.cjs")) as HeavyModule;

dispatch(
  {
    args: process.argv.slice(2),
    env: process.env,
    writeStdout: (t) => process.stdout.write(t),
    writeStderr: (t) => {
      try {
        process.stderr.write(t);
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
      process.stderr.write(`raid agent: unexpected failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    } catch {
      /* stderr closed */
    }
    process.exitCode = 1;
  },
);
