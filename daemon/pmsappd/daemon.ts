/**
 * pmsappd wired together: sources (md sysfs watches + safety poll, iSCSI sessions, tgtd, the agents'
 * journal, the config file) feed the hub; the hub feeds the WebSocket server and the metrics.
 * Every source is injectable (host root and format, Runner), so tests and the lab replay run this code.
 */
import { watch as chokidarWatch, type FSWatcher } from "chokidar";
import { readAllMdArrays } from "../../agents/md/array-state.js";
import { readIscsiSessions } from "../../agents/iscsi/session-state.js";
import { captureHostFs } from "../../agents/system/capture-fs.js";
import type { Runner } from "../../agents/system/command.js";
import { realHostFs, type HostFs } from "../../agents/system/host-fs.js";
import type { TgtTarget } from "../../agents/tgt/show.js";
import { loadConfig, readTokenFile, type DaemonConfig } from "../config/config.js";
import { resolveGroup } from "../config/group.js";
import { DaemonMetrics } from "../metrics/metrics.js";
import { EventHub } from "../server/hub.js";
import { EventServer } from "../server/ws-server.js";
import { JournalTail } from "../watch/journal-tail.js";
import { SysfsWatcher, mdWatchPaths, type WatchFn } from "../watch/sysfs-watcher.js";
import { readCapturedTgt, readTgtTargets } from "../watch/tgt-source.js";

export interface DaemonLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DaemonDeps {
  readonly config: DaemonConfig;
  /** The config file to watch and reload; undefined = no reload. */
  readonly configFile?: string;
  readonly runner: Runner;
  readonly log: DaemonLog;
  /** Overrides the host view built from config.hostRoot/hostFormat. */
  readonly hostFs?: HostFs;
  readonly watchFn?: WatchFn;
  readonly withProcessMetrics?: boolean;
}

export function hostFsFor(config: DaemonConfig): HostFs {
  return config.hostFormat === "capture" ? captureHostFs(config.hostRoot) : realHostFs(config.hostRoot);
}

/** The token for TCP clients, or the reason there is none. TCP without a token is refused at start. */
function tokenFor(config: DaemonConfig): { ok: true; token: string | undefined } | { ok: false; reason: string } {
  if (config.tcpListen === undefined) return { ok: true, token: undefined };
  const t = readTokenFile(config.tokenFile);
  return t.ok ? { ok: true, token: t.token } : { ok: false, reason: `tcp_listen is set but ${t.reason}` };
}

export class Daemon {
  readonly hub: EventHub;
  readonly metrics: DaemonMetrics;
  readonly server: EventServer;
  private config: DaemonConfig;
  private token: string | undefined;
  private readonly fs: HostFs;
  private readonly sysfs: SysfsWatcher;
  private readonly journal: JournalTail;
  private targets: TgtTarget[] = [];
  private tgtInFlight = false;
  private lastTgtProblem: string | undefined;
  private timers: NodeJS.Timeout[] = [];
  private configWatcher: FSWatcher | undefined;
  private stopped = false;

  constructor(private readonly deps: DaemonDeps) {
    const config = deps.config;
    this.config = config;
    const token = tokenFor(config);
    if (!token.ok) throw new Error(token.reason);
    this.token = token.token;
    const group = config.socketGroup === undefined ? undefined : resolveGroup(config.socketGroup);
    if (group !== undefined && !group.ok) throw new Error(group.reason);
    this.fs = deps.hostFs ?? hostFsFor(config);
    this.hub = new EventHub(config.nodeName, config.ringSize);
    this.metrics = new DaemonMetrics(config.nodeName, this.hub.epoch, deps.withProcessMetrics ?? true);
    this.hub.onEvent((e) => this.metrics.event(e.frame));
    this.server = new EventServer({
      hub: this.hub,
      socketPath: config.socketPath,
      socketMode: config.socketMode,
      ...(group?.ok === true ? { socketGid: group.gid } : {}),
      ...(config.tcpListen !== undefined ? { tcp: config.tcpListen } : {}),
      token: () => this.token,
      limits: this.limitsOf(config),
      maxPayloadBytes: config.maxPayloadBytes,
      metrics: () => this.metrics.render(),
      log: deps.log,
      observer: this.metrics,
    });
    this.sysfs = new SysfsWatcher(config.hostRoot, () => this.refresh(), config.mdDebounceMs, deps.watchFn);
    this.journal = new JournalTail({
      path: config.journalPath,
      onPrime: (r) => this.hub.primeAgent(r),
      onRecord: (r) => {
        this.metrics.agent(r);
        this.hub.recordAgent(r);
      },
      onBadLine: (reason) => {
        this.metrics.sourceError("journal");
        deps.log.warn({ journal: config.journalPath, reason }, "skipped a journal line");
      },
    });
  }

  private limitsOf(c: DaemonConfig) {
    return { maxClients: c.maxClients, slowClientBytes: c.slowClientBytes, pingIntervalMs: c.pingIntervalMs, bookmarkIntervalMs: c.bookmarkIntervalMs };
  }

  get currentConfig(): DaemonConfig {
    return this.config;
  }

  async start(): Promise<void> {
    await this.pollTgt();
    this.refresh();
    await this.journal.start();
    await this.server.start();
    this.armTimers();
    // The config file and, with TCP, the token file: a new token applies without a restart.
    const files = [this.deps.configFile, this.config.tcpListen !== undefined ? this.config.tokenFile : undefined].filter((f): f is string => f !== undefined);
    if (files.length > 0) {
      this.configWatcher = chokidarWatch(files, { ignoreInitial: true, persistent: false, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 50 } });
      const onFile = (path: string): void => {
        if (path === this.deps.configFile) this.reload();
        else this.reloadToken();
      };
      this.configWatcher.on("change", onFile).on("add", onFile).on("error", () => undefined);
      await new Promise<void>((resolve) => this.configWatcher?.once("ready", () => resolve()));
    }
    this.deps.log.info({ epoch: this.hub.epoch, seq: this.hub.currentSeq, watches: this.sysfs.watchedPaths.length }, "pmsappd started");
  }

  private armTimers(): void {
    for (const t of this.timers) clearInterval(t);
    const c = this.config;
    this.timers = [
      setInterval(() => {
        this.refresh();
        this.journal.poll();
      }, c.mdPollMs),
      setInterval(() => this.refresh(), c.sessionPollMs),
      setInterval(() => void this.pollTgt().then(() => this.refresh()), c.tgtPollMs),
    ];
  }

  /** Re-read md arrays and sessions (cheap sysfs reads), publish the difference, re-arm watches. */
  refresh(): void {
    if (this.stopped) return;
    const state = { arrays: readAllMdArrays(this.fs), sessions: readIscsiSessions(this.fs), targets: this.targets };
    this.hub.setState(state);
    this.metrics.setState(state);
    const failed = this.sysfs.arm(mdWatchPaths(this.fs));
    if (failed.length > 0) this.deps.log.warn({ paths: failed }, "could not watch sysfs attributes; the safety poll covers them");
  }

  async pollTgt(): Promise<void> {
    if (this.tgtInFlight || this.stopped) return;
    this.tgtInFlight = true;
    try {
      // A captured node replays its captured `tgtadm --op show` output; a live one asks tgtadm.
      const r = this.config.hostFormat === "capture" ? readCapturedTgt(this.config.hostRoot) : await readTgtTargets(this.deps.runner, this.config.tgtTimeoutMs);
      const problem = r.ok ? ("notInstalled" in r ? `tgtadm not installed (${r.notInstalled}): no targets watched` : undefined) : r.reason;
      if (problem !== this.lastTgtProblem) {
        if (problem !== undefined) this.deps.log.warn({ problem }, r.ok ? "tgt not watched" : "tgtadm failed; keeping the last known targets");
        else if (this.lastTgtProblem !== undefined) this.deps.log.info({}, "tgtadm answers again");
        this.lastTgtProblem = problem;
      }
      if (r.ok) this.targets = r.targets;
      else this.metrics.sourceError("tgtadm");
    } finally {
      this.tgtInFlight = false;
    }
  }

  /** Re-read the config file: a valid one is applied without dropping clients; an invalid one is ignored. */
  reload(): boolean {
    const file = this.deps.configFile;
    if (file === undefined) return false;
    const r = loadConfig(file);
    if (!r.ok) {
      this.deps.log.error({ config: file, errors: r.errors }, "invalid config change ignored; keeping the running config");
      return false;
    }
    const next = r.config;
    const token = tokenFor(next);
    if (!token.ok) {
      this.deps.log.error({ config: file, errors: [token.reason] }, "invalid config change ignored; keeping the running config");
      return false;
    }
    const old = this.config;
    const needRestart = (["nodeName", "socketPath", "socketMode", "socketGroup", "hostRoot", "hostFormat", "journalPath", "maxPayloadBytes"] as const).filter((k) => old[k] !== next[k]);
    if (JSON.stringify(old.tcpListen) !== JSON.stringify(next.tcpListen)) needRestart.push("tcpListen" as never);
    if (needRestart.length > 0) this.deps.log.warn({ keys: needRestart }, "these settings take effect at the next restart; the rest is applied now");
    // Settings that need a restart keep their running values.
    this.config = { ...next, ...Object.fromEntries(needRestart.map((k) => [k, old[k]])) } as DaemonConfig;
    this.token = token.token ?? this.token;
    this.hub.resizeRing(next.ringSize);
    this.server.setLimits(this.limitsOf(next));
    this.armTimers();
    this.deps.log.info({ config: file }, "config reloaded");
    return true;
  }

  /** Re-read the token file; a bad one keeps the running token. */
  reloadToken(): boolean {
    if (this.config.tcpListen === undefined) return false;
    const t = readTokenFile(this.config.tokenFile);
    if (!t.ok) {
      this.deps.log.error({ errors: [t.reason] }, "invalid token file change ignored; keeping the running token");
      return false;
    }
    this.token = t.token;
    this.deps.log.info({ tokenFile: this.config.tokenFile }, "token reloaded");
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.sysfs.close();
    await this.configWatcher?.close();
    await this.journal.close();
    await this.server.close();
  }
}
