/**
 * Entry point of dist/raid-heavy.cjs: the actions that run commands (start, stop, validate-all, status
 * depth 10/20). The light bundle loads it with require() and calls `runHeavyAction`; tests call the same
 * function with their own runner, host tree and clock through `deps`.
 */
import pino from "pino";
import { journalPath } from "../journal/journal.js";
import { OCF } from "../ocf/exit-codes.js";
import { Deadline, type Runner } from "../system/command.js";
import { createExecaRunner, resolveProgram } from "../system/execa-runner.js";
import type { HostFs } from "../system/host-fs.js";
import { boundedRunner } from "./bounded-runner.js";
import type { ActionContext } from "./context.js";
import { hostFsFromEnv, type HeavyRequest, type Outcome } from "./dispatch.js";
import { createReporter, type LineLogger, type Reporter } from "./report.js";
import { startArray } from "./start.js";
import { deepStatus } from "./status-deep.js";
import { stopArray } from "./stop.js";
import { validateEnvironment } from "./validate.js";

export interface HeavyDeps {
  readonly runner: Runner;
  readonly fs: HostFs;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly line: LineLogger;
  readonly resolveProgram: (program: string) => string | undefined;
}

/** pino on stderr, synchronously (the agent exits right after; stdout is never used). */
function pinoLine(): LineLogger {
  const logger = pino({ name: "pmsapp-raid", base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
  return (level, msg, fields) => {
    try {
      logger[level](fields, msg);
    } catch {
      /* stderr closed */
    }
  };
}

function realDeps(request: HeavyRequest): HeavyDeps {
  return {
    runner: boundedRunner(createExecaRunner()),
    fs: hostFsFromEnv(request.env),
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    line: pinoLine(),
    resolveProgram: (p) => resolveProgram(p),
  };
}

export async function runHeavyAction(request: HeavyRequest, deps: Partial<HeavyDeps> = {}): Promise<Outcome> {
  const d: HeavyDeps = { ...realDeps(request), ...deps };
  const reporter: Reporter = createReporter(
    { instance: request.instance, action: request.action, uuid: request.params.uuid, journalFile: journalPath(request.env), startedAt: request.startedAt, now: d.now },
    d.line,
  );
  const ctx: ActionContext = {
    params: request.params,
    runner: d.runner,
    fs: d.fs,
    deadline: Deadline.in(Math.max(0, request.budgetMs - (d.now() - request.startedAt)), d.now),
    reporter,
    sleep: d.sleep,
  };
  let outcome: Outcome;
  try {
    outcome = await route(request, ctx, d);
  } catch (e) {
    outcome = { rc: OCF.ERR_GENERIC, reason: `${request.action} failed unexpectedly: ${e instanceof Error ? e.message : String(e)}` };
  }
  reporter.end(outcome.rc, outcome.reason, { face: request.face, depth: request.depth, ...(request.probe ? { probe: true } : {}) });
  return outcome;
}

async function route(request: HeavyRequest, ctx: ActionContext, d: HeavyDeps): Promise<Outcome> {
  switch (request.action) {
    case "start":
      return startArray(ctx);
    case "stop":
      return stopArray(ctx);
    case "validate-all":
      return validateEnvironment(d.resolveProgram);
    case "status":
    case "monitor":
      return request.depth === 0 ? { rc: OCF.ERR_GENERIC, reason: "depth 0 is answered by the light bundle" } : deepStatus(ctx, request.depth);
  }
}
