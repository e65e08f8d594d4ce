/**
 * The `pmsapp` CLI (dist/pmsapp.cjs): status and events from one node or the whole cluster.
 * Everything the process touches comes in through `CliIo`, so tests run it against real daemons.
 */
import type { Runner } from "../../agents/system/command.js";
import { configPath, DEFAULT_CONFIG_PATH, loadConfig, readTokenFile, type DaemonConfig } from "../config/config.js";
import { isEventFrame, type EventFrame, type Frame } from "../model/events.js";
import { parseArgs } from "./args.js";
import { clusterOwners } from "./cluster-owner.js";
import { choosePaint, formatFrame } from "./format.js";
import { HELP } from "./help.js";
import { runOverride } from "./override.js";
import { runCreate } from "./create.js";
import { renderNode, renderOwners, type NodeSnapshot } from "./status.js";
import { chooseTargets, openStream, type NodeTarget, type StreamEnd } from "./stream-client.js";

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly isTty: boolean;
  readonly runner: Runner;
  /** Resolves when the user interrupts (SIGINT); follow mode ends then. */
  readonly interrupted: Promise<void>;
  readonly reconnectDelayMs?: number;
}

export const EXIT = { OK: 0, INTERNAL: 1, USAGE: 2, UNREACHABLE: 3, AUTH: 4, ENDED: 5, CONFIG: 6, PARTIAL: 7 } as const;

function failureCode(end: StreamEnd): number {
  return end.kind === "auth" ? EXIT.AUTH : end.kind === "unreachable" ? EXIT.UNREACHABLE : EXIT.ENDED;
}

/** 0 when all answered, 7 when only some did, else the failure's own code (auth before unreachable). */
export function overallExit(ends: readonly StreamEnd[]): number {
  const failed = ends.filter((e) => e.kind !== "marker");
  if (failed.length === 0) return EXIT.OK;
  if (failed.length < ends.length) return EXIT.PARTIAL;
  const codes = failed.map(failureCode);
  if (codes.includes(EXIT.AUTH)) return EXIT.AUTH;
  if (codes.includes(EXIT.UNREACHABLE)) return EXIT.UNREACHABLE;
  return EXIT.ENDED;
}

function tokenOf(config: DaemonConfig, targets: readonly NodeTarget[], io: CliIo): string | undefined {
  if (targets.every((t) => t.url.startsWith("ws+unix:"))) return undefined;
  const t = readTokenFile(config.tokenFile);
  if (!t.ok) {
    io.err(`pmsapp: ${t.reason}; remote nodes will refuse the connection`);
    return undefined;
  }
  return t.token;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] === "override") return runOverride(argv.slice(1), io);
  if (argv[0] === "create") return runCreate(argv.slice(1), io);
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    io.err(`pmsapp: ${parsed.error}`);
    io.err("try 'pmsapp --help'");
    return EXIT.USAGE;
  }
  const command = parsed.command;
  if (command.cmd === "help") {
    io.out(HELP[command.topic].trimEnd());
    return EXIT.OK;
  }
  const file = configPath(io.env);
  const loaded = loadConfig(file, file === DEFAULT_CONFIG_PATH);
  if (!loaded.ok) {
    for (const e of loaded.errors) io.err(`pmsapp: ${e}`);
    return EXIT.CONFIG;
  }
  const config = loaded.config;
  const choice = chooseTargets(config, command.node, command.cluster, command.cmd === "status");
  if (!choice.ok) {
    io.err(`pmsapp: ${choice.error}`);
    return EXIT.USAGE;
  }
  const targets = choice.targets;
  const token = tokenOf(config, targets, io);
  const paint = command.json ? choosePaint(false, io.env, false) : choosePaint(io.isTty, io.env, command.color);

  if (command.cmd === "status") {
    const [ends, owners] = await Promise.all([
      Promise.all(
        targets.map(async (t): Promise<{ end: StreamEnd; snap: NodeSnapshot }> => {
          // One entry per entity: the snapshot's `exists`, or a later change of it (live events can
          // follow the snapshot in the same read).
          const entities = new Map<string, EventFrame>();
          const s = openStream(t, {
            token,
            stopAtMarker: true,
            connectTimeoutMs: 3000,
            onFrame: (f) => {
              if (!isEventFrame(f)) return;
              if (f.type === "destroy") entities.delete(`${f.kind} ${f.id}`);
              else entities.set(`${f.kind} ${f.id}`, f);
            },
          });
          const timer = setTimeout(() => s.close(), 8000);
          const end = await s.done;
          clearTimeout(timer);
          return { end, snap: end.kind === "marker" ? { node: t.name, display: t.display, entities: [...entities.values()] } : { node: t.name, display: t.display, entities: [], error: "reason" in end ? end.reason : "no answer" } };
        }),
      ),
      clusterOwners(io.runner).catch((e: unknown) => ({ ok: false as const, reason: String(e) })),
    ]);
    if (command.json) {
      for (const { snap } of ends) io.out(JSON.stringify({ node: snap.node, ok: snap.error === undefined, ...(snap.error !== undefined ? { error: snap.error } : {}), entities: snap.entities }));
      io.out(JSON.stringify({ cluster: owners ?? null }));
    } else {
      for (const line of renderOwners(owners, paint)) io.out(line);
      for (const { snap } of ends) for (const line of renderNode(snap, paint)) io.out(line);
    }
    // The human screen already shows unreachable nodes in place; JSON consumers also get stderr lines.
    if (command.json) for (const { snap } of ends) if (snap.error !== undefined) io.err(`pmsapp: ${snap.node}: ${snap.error}`);
    return overallExit(ends.map((e) => e.end));
  }

  // events
  const width = Math.max(...targets.map((t) => t.name.length));
  const print = (f: Frame): void => io.out(command.json ? JSON.stringify(f) : formatFrame(f, paint, width));
  if (!command.follow) {
    const ends = await Promise.all(
      targets.map(async (t) => {
        const end = await openStream(t, { token, since: command.since, stopAtMarker: true, connectTimeoutMs: 3000, onFrame: print }).done;
        if (end.kind !== "marker") io.err(`pmsapp: ${t.name}: ${end.reason}`);
        return end;
      }),
    );
    return overallExit(ends);
  }

  let stopping = false;
  const closers = new Set<() => void>();
  void io.interrupted.then(() => {
    stopping = true;
    for (const c of closers) c();
  });
  const followOne = async (t: NodeTarget): Promise<StreamEnd> => {
    let since = command.since;
    let lastProblem: string | undefined;
    let last: StreamEnd = { kind: "unreachable", reason: "never connected" };
    while (!stopping) {
      const s = openStream(t, {
        token,
        since,
        stopAtMarker: false,
        connectTimeoutMs: 3000,
        // The daemon pings every ping_interval_ms (this node's setting, assumed cluster-wide).
        silenceMs: config.pingIntervalMs * 2 + 5000,
        onOpen: () => {
          if (lastProblem !== undefined) io.err(`pmsapp: ${t.name}: connected again`);
          lastProblem = undefined;
        },
        onFrame: (f) => {
          since = { epoch: f.epoch, seq: f.seq };
          print(f);
        },
      });
      closers.add(s.close);
      last = await s.done;
      closers.delete(s.close);
      if (stopping) break;
      const problem = "reason" in last ? last.reason : "stream ended";
      if (problem !== lastProblem) io.err(`pmsapp: ${t.name}: ${problem}; retrying`);
      lastProblem = problem;
      await Promise.race([new Promise((r) => setTimeout(r, io.reconnectDelayMs ?? 2000)), io.interrupted]);
    }
    return last;
  };
  await Promise.all(targets.map(followOne));
  return EXIT.OK;
}
