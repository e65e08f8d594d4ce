/**
 * The light half of the raid agent (dist/raid.cjs): reads the invocation, answers meta-data and status
 * depth 0 from sysfs, refuses bad actions and bad parameters before anything runs, and hands everything
 * else to the heavy bundle. Built-ins only: this is the path rgmanager runs every 30 s.
 */
import { OCF } from "../ocf/exit-codes.js";
import { LSB_USAGE, lsbExitCode } from "../ocf/lsb.js";
import { journalPath } from "../journal/journal.js";
import { realHostFs, type HostFs } from "../system/host-fs.js";
import {
  actionBudgetMs,
  actionFor,
  checkDepth,
  faceFromEnv,
  managerTimeoutMs,
  paramLabel,
  rawParams,
  type Action,
  type CheckDepth,
  type Face,
} from "./invocation.js";
import { ocfMetadata, rgmanagerMetadata } from "./metadata.js";
import { validateParams, type RaidParams } from "./params.js";
import { createReporter, stderrLineLogger, type LineLogger } from "./report.js";
import { checkArrayRuns } from "./status-light.js";
import { stopWithUnusableConfiguration } from "./stop-unconfigured.js";

export type Env = Readonly<Record<string, string | undefined>>;

export interface AgentIo {
  readonly args: readonly string[];
  readonly env: Env;
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  now(): number;
}

export type HeavyAction = "start" | "stop" | "status" | "monitor" | "validate-all";

export interface HeavyRequest {
  readonly face: Face;
  readonly action: HeavyAction;
  readonly depth: CheckDepth;
  readonly params: RaidParams;
  readonly instance: string;
  /** The action's whole budget in ms, counted from `startedAt`. */
  readonly budgetMs: number;
  readonly startedAt: number;
  readonly env: Env;
  /** Pacemaker probe (monitor with interval 0): "not running" is the expected answer. */
  readonly probe: boolean;
}

export interface Outcome {
  readonly rc: number;
  readonly reason: string;
}

export interface HeavyModule {
  runHeavyAction(request: HeavyRequest): Promise<Outcome>;
}

const USAGE: Record<Face, string> = {
  ocf: "usage: raid {start|stop|monitor|status|meta-data|validate-all}",
  rgmanager: "usage: pmsapp-raid.sh {start|stop|status|monitor|meta-data|validate-all}",
  lsb: "usage: swraid {start|stop|status}",
};

/** The host root for /proc, /sys and /dev reads; PMSAPP_HOST_ROOT points tests and benches at a tree. */
export function hostFsFromEnv(env: Env): HostFs {
  const root = env.PMSAPP_HOST_ROOT;
  return realHostFs(root !== undefined && root !== "" ? root : "/");
}

export async function dispatch(io: AgentIo, loadHeavy: () => HeavyModule): Promise<number> {
  const startedAt = io.now();
  const line: LineLogger = stderrLineLogger((l) => io.writeStderr(l));
  const face = faceFromEnv(io.env);
  if (face === undefined) {
    line("error", "PMSAPP_FACE must be ocf, rgmanager or lsb: run the agent through its shim", { face: io.env.PMSAPP_FACE ?? null });
    return OCF.ERR_ARGS;
  }
  const word = io.args[0];
  if (word === "meta-data" && face !== "lsb") {
    io.writeStdout(face === "ocf" ? ocfMetadata() : rgmanagerMetadata());
    return OCF.SUCCESS;
  }
  const action = actionFor(face, word);
  if (action === undefined) {
    io.writeStderr(`${USAGE[face]}\n`);
    line("error", `unknown action ${JSON.stringify(word ?? "")}`, { face });
    return face === "lsb" ? LSB_USAGE : OCF.ERR_UNIMPLEMENTED;
  }
  const finish = (rc: number, reason: string): number => {
    if (rc !== OCF.SUCCESS && rc !== OCF.NOT_RUNNING && face === "ocf") {
      const prefix = io.env.OCF_EXIT_REASON_PREFIX ?? "ocf-exit-reason:";
      io.writeStderr(`${prefix}${reason}\n`);
    }
    return face === "lsb" ? lsbExitCode(action as "start" | "stop" | "status", rc) : rc;
  };
  const instanceOf = (name?: string): string => io.env.OCF_RESOURCE_INSTANCE || name || "raid";

  const depth = checkDepth(io.env.OCF_CHECK_LEVEL);
  if (depth === undefined) {
    const reason = `OCF_CHECK_LEVEL ${JSON.stringify(io.env.OCF_CHECK_LEVEL)} is not a whole number`;
    createReporter({ instance: instanceOf(), action, journalFile: journalPath(io.env), startedAt, now: io.now }, line).end(OCF.ERR_ARGS, reason);
    return finish(OCF.ERR_ARGS, reason);
  }

  const raw = rawParams(face, io.env);
  const validated = raw.ok ? validateParams(raw.raw, io.env.OCF_RESOURCE_INSTANCE || undefined) : undefined;
  if (!raw.ok || validated === undefined || !validated.ok) {
    const problems = !raw.ok ? raw.errors : validated !== undefined && !validated.ok ? validated.errors.map((e) => `${paramLabel(face, raw.source, e.param)}: ${e.message}`) : [];
    const reporter = createReporter({ instance: instanceOf(raw.ok ? raw.raw.name : undefined), action, journalFile: journalPath(io.env), startedAt, now: io.now }, line);
    if (action === "stop") {
      // Success only when nothing that could be this array runs here (see stop-unconfigured.ts).
      const s = stopWithUnusableConfiguration(hostFsFromEnv(io.env), problems, raw.ok ? raw.raw.uuid : undefined);
      reporter.end(s.rc, s.reason);
      return finish(s.rc, s.reason);
    }
    const reason = `configuration refused, nothing was done: ${problems.join("; ")}`;
    reporter.end(OCF.ERR_CONFIGURED, reason);
    return finish(OCF.ERR_CONFIGURED, reason);
  }
  const params = validated.params;
  const instance = instanceOf(params.name);

  if ((action === "status" || action === "monitor") && depth === 0) {
    const reporter = createReporter({ instance, action, uuid: params.uuid, journalFile: journalPath(io.env), startedAt, now: io.now }, line);
    const check = checkArrayRuns(hostFsFromEnv(io.env), params.uuid, params.mdDevice, "state");
    reporter.end(check.rc, check.reason, { depth: 0 });
    return finish(check.rc, check.reason);
  }

  const heavyAction = action as Exclude<Action, "meta-data">;
  const budgetMs = actionBudgetMs(action, params, managerTimeoutMs(face, io.env));
  let heavy: HeavyModule;
  try {
    heavy = loadHeavy();
  } catch (e) {
    const reason = `cannot load the agent's action code (raid-heavy.cjs): ${(e as Error).message}`;
    line("error", reason, { instance, action });
    return finish(OCF.ERR_INSTALLED, reason);
  }
  const outcome = await heavy.runHeavyAction({
    face,
    action: heavyAction,
    depth,
    params,
    instance,
    budgetMs,
    startedAt,
    env: io.env,
    probe: face === "ocf" && action === "monitor" && io.env.OCF_RESKEY_CRM_meta_interval === "0",
  });
  return finish(outcome.rc, outcome.reason);
}
