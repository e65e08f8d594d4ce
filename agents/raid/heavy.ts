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
import { validateLayout } from "./layout-check.js";
import { checkArrayRuns } from "./status-light.js";
import { hostname } from "node:os";
import { NoSharedLedger } from "../ledger/local-store.js";
import { PacemakerLedger, PacemakerNotRunning, readNodeName } from "../ledger/pacemaker.js";
import { pacemakerController } from "../ledger/pacemaker-presence.js";
import type { LedgerStore } from "../ledger/store.js";

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
  const deadline = Deadline.in(Math.max(0, request.budgetMs - (d.now() - request.startedAt)), d.now);
  const base: ActionContext = { params: request.params, runner: d.runner, fs: d.fs, deadline, reporter, sleep: d.sleep, now: d.now };
  // The ledger is only consulted where it matters: start, stop, and status of an array that runs here.
  const needsLedger = request.action === "start" || request.action === "stop" || (request.depth > 0 && checkArrayRuns(d.fs, request.params.uuid, request.params.mdDevice).rc === OCF.SUCCESS);
  const ctx: ActionContext = needsLedger ? { ...base, ...(await ledgerFor(request, base)) } : base;
  let outcome: Outcome;
  try {
    outcome = await route(request, ctx, d);
  } catch (e) {
    outcome = { rc: OCF.ERR_GENERIC, reason: `${request.action} failed unexpectedly: ${e instanceof Error ? e.message : String(e)}` };
  }
  reporter.end(outcome.rc, outcome.reason, { face: request.face, depth: request.depth, ...(request.probe ? { probe: true } : {}) });
  return outcome;
}

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * Where the evidence ledger lives for this face: the CIB under Pacemaker (node name from the executor's
 * CRM_meta_on_node, else `crm_node -n`); no shared store under rgmanager and the LSB drop-in.
 */
async function ledgerFor(request: HeavyRequest, ctx: ActionContext): Promise<{ ledger: LedgerStore; node?: string }> {
  if (request.face !== "ocf") {
    const short = hostname().split(".")[0] ?? "";
    return { ledger: new NoSharedLedger(), ...(NODE_NAME.test(short) ? { node: short } : {}) };
  }
  if (pacemakerController(ctx.fs) === "absent") {
    // start says it itself, once, when it reads its evidence (ledger-io.ts readForStart).
    if (request.action !== "start") ctx.reporter.log("info", `no outside evidence: ${PacemakerNotRunning.REASON}`);
    return { ledger: new PacemakerNotRunning() };
  }
  const ledger = new PacemakerLedger(ctx.runner, (cap) => ctx.deadline.budget(cap));
  const fromEnv = request.env.OCF_RESKEY_CRM_meta_on_node;
  if (fromEnv !== undefined && NODE_NAME.test(fromEnv)) return { ledger, node: fromEnv };
  const n = await readNodeName(ctx.runner, ctx.deadline.budget(5_000));
  if (!n.ok) ctx.reporter.log("warn", `this node's cluster name is unknown, so the ledger is not written: ${n.reason}`);
  return { ledger, ...(n.ok ? { node: n.name } : {}) };
}

async function route(request: HeavyRequest, ctx: ActionContext, d: HeavyDeps): Promise<Outcome> {
  switch (request.action) {
    case "start":
      return startArray(ctx);
    case "stop":
      return stopArray(ctx);
    case "validate-all": {
      const env = validateEnvironment(d.resolveProgram);
      if (env.rc !== OCF.SUCCESS) return env;
      const layout = await validateLayout(ctx);
      return layout.rc === OCF.SUCCESS ? { rc: OCF.SUCCESS, reason: `${env.reason}; ${layout.reason}` } : layout;
    }
    case "status":
    case "monitor":
      return request.depth === 0 ? { rc: OCF.ERR_GENERIC, reason: "depth 0 is answered by the light bundle" } : deepStatus(ctx, request.depth);
  }
}
