/** `pmsapp` entry point (dist/pmsapp.cjs); the CLI itself is in run.ts, its help texts in help.ts. */
import { createExecaRunner } from "../../agents/system/execa-runner.js";
import { runCli } from "./run.js";

const interrupted = new Promise<void>((resolve) => {
  process.once("SIGINT", () => resolve());
  process.once("SIGTERM", () => resolve());
});

// `pmsapp events --follow | head`: a closed pipe ends the CLI quietly.
process.stdout.on("error", (e: NodeJS.ErrnoException) => process.exit(e.code === "EPIPE" ? 0 : 1));

runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(line + "\n"),
  err: (line) => process.stderr.write(line + "\n"),
  env: process.env,
  isTty: process.stdout.isTTY === true,
  runner: createExecaRunner(),
  interrupted,
}).then(
  (code) => {
    process.exitCode = code;
    // Let stdout drain (pipes), then leave even if a socket lingers.
    process.stdout.write("", () => process.exit(code));
  },
  (e: unknown) => {
    process.stderr.write(`pmsapp: internal error: ${String(e)}\n`);
    process.exit(1);
  },
);
